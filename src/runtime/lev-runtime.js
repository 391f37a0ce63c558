'use strict'
/*
 * The in-container side of levrt: runs one remote() entry with the image's own node.
 * Plain CommonJS with no dependencies and nothing newer than Node 12, because it runs with
 * whatever node the image has. It comes as `node -e` (with tslib before it) and the entry in
 * $LEV_ENTRY, or, for a large entry, as files in /.levrt. The host reads back
 * /.levrt/out/records.jsonl (what lev.set stored) and /.levrt/out/error.json (how it failed).
 */
const fs = require('fs')

const DIR = '/.levrt'
const OUT = DIR + '/out'
const RECORDS = process.env.LEV_RECORDS || OUT + '/records.jsonl'

// Sources compiled to an older target call TypeScript's helpers (__awaiter, __generator, ...),
// which the host module had in scope; tslib defines them all as globals. Inline, it ran first.
if (typeof __awaiter === 'undefined') {
  try {
    require(DIR + '/tslib.js')
  } catch (e) {
    // Not shipped: the entry needs no helpers.
  }
}

// esbuild with keepNames (tsx, which `levrt run` loads .ts modules with) wraps functions and
// classes inside the entry in __name(fn, 'name') calls; its helper lived in the host module.
if (typeof globalThis.__name === 'undefined') {
  globalThis.__name = function (target, value) {
    return Object.defineProperty(target, 'name', { value: value, configurable: true })
  }
}

function fieldProblem(data) {
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    return 'lev.set takes an object of fields'
  for (const key of Object.keys(data)) {
    if (key === '_id' || key === '_lev') return 'the field name ' + key + ' is reserved'
    if (key === '' || key.charAt(0) === '$' || key.indexOf('.') >= 0) {
      return 'the field name ' + JSON.stringify(key) + ' cannot be stored (no leading $, no dots)'
    }
  }
  return undefined
}

const lev = Object.freeze({
  /**
   * Merges fields into this run's document (later values win). Written synchronously, one
   * line per call, so a record is safe on disk before set() returns, whatever happens next.
   */
  set(data) {
    const problem = fieldProblem(data)
    if (problem) throw new TypeError(problem)
    const line = JSON.stringify(data)
    if (line === undefined) throw new TypeError('lev.set takes an object of fields')
    fs.appendFileSync(RECORDS, line + '\n')
  },
})

// Frames of the entry's code are named by this URL; `origin` maps them to the user's file.
const ENTRY_URL = 'levrt-entry.js'
// new Function puts the body on its third line, after `return (` or `return ({`.
const BODY_LINE = 3
let firstLineShift = 'return ('.length

function compile(source) {
  // Compiled in the global scope (no host closures can leak in), with `require` for node's
  // modules. A function or arrow is an expression as printed; a method (`async scan(lev) {}`)
  // is not, but it is the body of an object literal.
  const tail = '\n)\n//# sourceURL=' + ENTRY_URL
  try {
    return new Function('require', 'return (' + source + tail)(require)
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e
    firstLineShift = 'return ({'.length
    const holder = new Function('require', 'return ({' + source + '\n}' + tail)(require)
    return holder[Object.keys(holder)[0]]
  }
}

/**
 * `levrt-entry.js:5:9` -> `/home/me/recon.ts:12`: the line in the user's file, where known (the
 * column is the compiled code's, so it is left out).
 */
function mapStack(stack) {
  let origin
  try {
    origin = entry.origin
  } catch (e) {
    return stack // failed before the entry was read
  }
  if (!origin) return stack
  return stack.replace(/levrt-entry\.js:(\d+):(\d+)/g, (whole, l, c) => {
    const line = Number(l) - BODY_LINE
    const column = Number(c) - 1 - (line === 0 ? firstLineShift : 0)
    let original = 0
    for (const span of origin.spans) {
      if (span[0] > line || (span[0] === line && span[1] > column)) break
      original = span[2]
    }
    return original ? origin.file + ':' + original : whole
  })
}

let failed = false
function fail(err) {
  if (failed) return
  failed = true
  const report = {
    name: err && err.name ? String(err.name) : 'Error',
    message: err && err.message !== undefined ? String(err.message) : String(err),
    stack: err && err.stack ? mapStack(String(err.stack)) : undefined,
  }
  const missing = err instanceof ReferenceError && /^(\S+) is not defined$/.exec(report.message)
  if (missing) report.hostVariable = missing[1]
  try {
    fs.writeFileSync(OUT + '/error.json', JSON.stringify(report) + '\n')
  } catch (e) {
    // The host still sees the exit code and stderr.
  }
  process.stderr.write('levrt entry failed: ' + (report.stack || report.message) + '\n')
  process.exit(70)
}

process.on('uncaughtException', fail)
process.on('unhandledRejection', fail)

const entry = JSON.parse(process.env.LEV_ENTRY || fs.readFileSync(DIR + '/entry.json', 'utf8'))
delete process.env.LEV_ENTRY
// Under `node -e` there is no script in argv[1]: put one, so `cmd` is argv.slice(2) either way.
if (!require.main) process.argv.splice(1, 0, DIR + '/lev-runtime.js')
Promise.resolve()
  .then(() => compile(entry.source)(lev, ...JSON.parse(entry.args)))
  .then(() => {
    process.exitCode = 0
  }, fail)
