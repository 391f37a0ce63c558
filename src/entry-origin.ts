import { Session } from 'node:inspector'
import { findSourceMap } from 'node:module'
import { fileURLToPath } from 'node:url'

/**
 * Where an entry's source came from in the user's file: the file, and spans of the source (as
 * the host's engine prints the function: tsx prints it on one line) with their line in that
 * file: `[line, column, originalLine]`, 0-based in the source, sorted; a span runs to the next.
 * The in-container runtime rewrites its stack frames with it, so an entry's failure names the
 * user's file and line, not `eval at compile ([eval]:556:16)`.
 */
export interface EntryOrigin {
  readonly file: string
  readonly spans: readonly (readonly [line: number, column: number, originalLine: number])[]
}

interface Position {
  readonly file: string
  readonly line: number
}

/**
 * The compiled position of `fn` (the inspector's [[FunctionLocation]]: synchronous, no debugger
 * enabled) in the file of `remote()`'s caller, mapped line by line through the source map of
 * the loader that compiled it: Node's (tsx enables it), else the stack mapper the loader put
 * in `Error.prepareStackTrace` (ts-node's source-map-support). Plain JavaScript maps to itself.
 * Best effort: undefined when any of it is unavailable.
 */
export function entryOrigin(
  fn: (...args: never[]) => unknown,
  source: string,
  depth: number,
): EntryOrigin | undefined {
  try {
    const at = functionLocation(fn)
    const file = callerFile(depth + 1)
    if (!at || !file) return undefined
    const { map, exact } = mapper(file)
    let origin: string | undefined
    const spans: [number, number, number][] = []
    source.split('\n').forEach((text, i) => {
      // With a source map, every column (a one-line function holds every line); else the
      // line's first token (its indentation maps to whatever came before).
      const first = text.search(/\S/)
      const columns = first < 0 ? [] : exact ? text.split('').keys() : [first]
      for (const column of columns) {
        const p = map(at.line + i, (i === 0 ? at.column : 0) + column)
        if (!p || (origin ??= p.file) !== p.file) continue
        const last = spans[spans.length - 1]
        if (!last || last[2] !== p.line) spans.push([i, column, p.line])
      }
    })
    return origin && spans.length ? { file: origin, spans } : undefined
  } catch {
    return undefined
  }
}

/** 0-based line and column of a function's start in its script. */
function functionLocation(fn: unknown): { line: number; column: number } | undefined {
  const session = new Session()
  session.connect()
  const global = globalThis as { __levrtOrigin?: unknown }
  global.__levrtOrigin = fn
  let found: { lineNumber: number; columnNumber: number } | undefined
  try {
    // The inspector answers a session of this thread synchronously, inside post().
    session.post('Runtime.evaluate', { expression: 'globalThis.__levrtOrigin' }, (err, res) => {
      if (err || !res.result.objectId) return
      session.post(
        'Runtime.getProperties',
        { objectId: res.result.objectId, ownProperties: true },
        (e, props) => {
          const location = props?.internalProperties?.find((p) => p.name === '[[FunctionLocation]]')
          found = location?.value?.value as typeof found
        },
      )
    })
  } finally {
    delete global.__levrtOrigin
    session.disconnect()
  }
  return found && { line: found.lineNumber, column: found.columnNumber }
}

/** The compiled file of the frame `depth` calls above this function's caller. */
function callerFile(depth: number): string | undefined {
  const saved = Error.prepareStackTrace
  Error.prepareStackTrace = (_, callSites) => callSites
  try {
    const sites = new Error().stack as unknown as NodeJS.CallSite[]
    return sites[depth + 1]?.getFileName() ?? undefined
  } finally {
    Error.prepareStackTrace = saved
  }
}

/** Compiled (0-based line, column) -> original file and 1-based line; `exact`: a source map, cheap to ask per column. */
function mapper(file: string): {
  map: (line: number, column: number) => Position | undefined
  exact: boolean
} {
  const map = findSourceMap(file)
  if (map) {
    const at = (line: number, column: number) => {
      const entry = map.findEntry(line, column) as { originalSource?: string; originalLine?: number }
      if (entry.originalSource === undefined || entry.originalLine === undefined) return undefined
      const source = entry.originalSource.startsWith('file:')
        ? fileURLToPath(entry.originalSource)
        : entry.originalSource
      return { file: source, line: entry.originalLine + 1 }
    }
    return { map: at, exact: true }
  }
  const format = Error.prepareStackTrace
  if (!format) return { map: (line) => ({ file, line: line + 1 }), exact: false }
  // A stack mapper (source-map-support) formats call sites: hand it one at the position.
  const at = (line: number, column: number) => {
    const text = String(format(new Error(), [fakeSite(file, line + 1, column + 1)]))
    const m = /\(?([^()\s]+):(\d+):\d+\)?\s*$/.exec(text)
    return m ? { file: m[1], line: Number(m[2]) } : undefined
  }
  return { map: at, exact: false }
}

function fakeSite(file: string, line: number, column: number): NodeJS.CallSite {
  return new FakeSite(file, line, column) as unknown as NodeJS.CallSite
}

/**
 * A call site at a given position. A class: source-map-support copies a site's methods from its
 * prototype when it wraps it.
 */
class FakeSite {
  constructor(
    private readonly file: string,
    private readonly line: number,
    private readonly column: number,
  ) {}
  getThis(): undefined {
    return undefined
  }
  getTypeName(): null {
    return null
  }
  getFunction(): undefined {
    return undefined
  }
  getFunctionName(): null {
    return null
  }
  getMethodName(): null {
    return null
  }
  getFileName(): string {
    return this.file
  }
  getScriptNameOrSourceURL(): string {
    return this.file
  }
  getLineNumber(): number {
    return this.line
  }
  getColumnNumber(): number {
    return this.column
  }
  getEvalOrigin(): undefined {
    return undefined
  }
  getPromiseIndex(): null {
    return null
  }
  isToplevel(): boolean {
    return true
  }
  isEval(): boolean {
    return false
  }
  isNative(): boolean {
    return false
  }
  isConstructor(): boolean {
    return false
  }
  isAsync(): boolean {
    return false
  }
  isPromiseAll(): boolean {
    return false
  }
  toString(): string {
    return `${this.file}:${this.line}:${this.column}`
  }
}
