import { execFileSync, spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { annot, Attck, attckTacticId, BlackArch, OptionsError } from '../src/index'
import { LABEL } from '../src/docker/labels'
import { EmbeddedStore } from '../src/store/embedded'
import { docker } from './support/engine'
import { embeddedStoreLeavingNothing } from './support/env'

/**
 * The `levrt` command as a user runs it: the built bin (`node dist/cli/levrt.js`, what `npx levrt`
 * starts) in a child process, on the real engine, with the workflow module
 * test/fixtures/cli-workflow.ts whose exports run `levrt/busybox` containers. The children share
 * this file's embedded store (LEV_HOME).
 */

embeddedStoreLeavingNothing()

const ROOT = resolve(__dirname, '..')
const BIN = join(ROOT, 'dist/cli/levrt.js')
const WORKFLOW = 'test/fixtures/cli-workflow.ts'
const NO_META = 'test/fixtures/cli-no-meta.ts'
const BAD_META = 'test/fixtures/cli-bad-meta.ts'
const POSITIONAL = 'test/fixtures/cli-meta-positional.ts'
const NO_EXPORTS = 'test/fixtures/cli-meta-object.ts'
const SCHEMA = 'clitest/probe@1.0'

/** `npm test` builds dist before the tests; run alone, this file builds it when src is newer. */
beforeAll(() => {
  const newest = (dir: string): number =>
    Math.max(
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
      ),
    )
  if (!existsSync(BIN) || newest(join(ROOT, 'src')) > statSync(BIN).mtimeMs) {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' })
  }
}, 180_000)

interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `levrt ...args` to its end, then checks that its runs left nothing on the engine. */
async function levrt(args: readonly string[], extraEnv: Record<string, string> = {}): Promise<Result> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LEV_HOME: process.env.LEV_HOME,
    LEV_GC: 'off',
    ...extraEnv,
  }
  delete env.LEV_MONGO_URL
  if (!('LEVRT_LOG' in extraEnv)) delete env.LEVRT_LOG
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')))
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')))
  const code = await new Promise<number | null>((done) => child.once('close', (c) => done(c)))
  const filters = JSON.stringify({ label: [LABEL.managed, `${LABEL.ownerPid}=${child.pid}`] })
  expect(await docker.listContainers({ all: true, filters })).toEqual([])
  return { code, stdout, stderr }
}

/** stdout's JSON lines. */
const lines = (r: Result): unknown[] =>
  r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as unknown)

describe('levrt run', () => {
  it('runs an export with --param values in meta.params order, stores its result and prints it; live output on stderr', async () => {
    const r = await levrt([
      'run',
      WORKFLOW,
      'probe',
      '--param',
      'port=8080',
      '--param',
      'target=alpha',
      '-p',
      'note=first pass',
    ])
    expect(r.code).toBe(0)
    expect(lines(r)).toEqual([{ target: 'alpha', port: 8080, note: 'first pass' }])
    expect(r.stderr).toContain('probing alpha:8080') // LEVRT_LOG defaults to plain off a terminal

    const found = await levrt(['find', SCHEMA, '{"target": "alpha"}'])
    expect(found.code).toBe(0)
    const [doc] = lines(found) as {
      _id: string
      target: string
      _lev: { exitCode: number; startedAt: { $date: string } }
    }[]
    expect(lines(found)).toHaveLength(1)
    expect(doc).toMatchObject({ target: 'alpha', port: 8080, _lev: { image: 'levrt/busybox', exitCode: 0 } })
    expect(doc._id).toMatch(/^[0-9a-f]{24}$/)
    expect(Number.isNaN(Date.parse(doc._lev.startedAt.$date))).toBe(false)
  })

  it("fills a left-out param from its default, leaves an optional one out, and respects the user's LEVRT_LOG", async () => {
    const r = await levrt(['run', WORKFLOW, 'probe', '--param', 'target=beta'], { LEVRT_LOG: 'quiet' })
    expect([r.code, r.stderr]).toEqual([0, ''])
    expect(lines(r)).toEqual([{ target: 'beta', port: 80, note: '' }])
  })

  it('prints each Document of an array, in order', async () => {
    const r = await levrt(['run', WORKFLOW, 'sweep', '--param', 'target=gamma', '--param', 'port=22'])
    expect(r.code).toBe(0)
    expect(lines(r)).toEqual([
      { target: 'gamma', port: 22, note: '' },
      { target: 'gamma', port: 23, note: '' },
    ])
  })

  it("prints the Document of a Task that start()'s promise gave", async () => {
    const r = await levrt(['run', WORKFLOW, 'background', '--param', 'target=epsilon'])
    expect(r.code).toBe(0)
    expect(lines(r)).toEqual([{ target: 'epsilon', port: 443, note: '' }])
  })

  it('runs the only function of a module without meta, and prints a plain value as EJSON', async () => {
    const r = await levrt(['run', NO_META])
    expect([r.code, r.stderr]).toEqual([0, ''])
    expect(lines(r)).toEqual([{ greeting: 'hi', at: { $date: '2024-05-01T10:00:00Z' } }])
  })

  it('runs an export of a module whose meta leaves exports out: every exported function, with the params', async () => {
    const r = await levrt(['run', POSITIONAL, 'shout', '--param', 'name=ada'])
    expect([r.code, r.stderr]).toEqual([0, ''])
    expect(lines(r)).toEqual([{ hello: 'ADA' }])
    const only = await levrt(['run', NO_EXPORTS, '--param', 'text=kept'])
    expect(only.code).toBe(0)
    expect(lines(only)).toEqual([{ text: 'kept' }])
  })

  it.each([
    [['run', POSITIONAL], /^levrt run: name the export to run: it exports greet, shout\n/],
    [
      ['run', POSITIONAL, 'version'],
      /^levrt run: test\/fixtures\/cli-meta-positional\.ts has no export version to run: it exports greet, shout\n/,
    ],
    [
      ['run', POSITIONAL, 'greet'],
      /^levrt run: missing --param name:\n {2}--param name=world +who to greet\n/,
    ],
    [
      ['run', WORKFLOW, 'probe'],
      /^levrt run: missing --param target:\n {2}--param target=10\.0\.0\.1 +host to probe\n/,
    ],
    [
      ['run', WORKFLOW, 'probe', '--param', 'target=a', '--param', 'tagret=b'],
      /^levrt run: unknown --param tagret: the module's params are target, port, note\n/,
    ],
    [
      ['run', WORKFLOW, 'probe', '--param', 'target=a', '--param', 'port=eighty'],
      /^levrt run: --param port=eighty: expected a number\n/,
    ],
    [['run', WORKFLOW, 'probe', '--param', 'target'], /^levrt run: --param target: expected name=value\n/],
    [
      ['run', WORKFLOW, 'probe', '--param', 'target=a', '--param', 'target=b'],
      /^levrt run: --param target is given twice\n/,
    ],
    [
      ['run', WORKFLOW, 'scan'],
      /^levrt run: test\/fixtures\/cli-workflow\.ts has no export scan to run: its meta lists probe, sweep, background, broken, crash\n/,
    ],
    [
      ['run', WORKFLOW],
      /^levrt run: name the export to run: its meta lists probe, sweep, background, broken, crash\n/,
    ],
    [['run', 'test/fixtures/missing.ts'], /^levrt run: no such module: test\/fixtures\/missing\.ts\n/],
    [['run', 'README.md'], /^levrt run: README\.md is not a \.ts or \.js file\n/],
    [
      ['run', NO_META, 'hello', '--param', 'x=1'],
      /^levrt run: unknown --param x: the module declares no params\n/,
    ],
    [['run'], /^levrt: missing required argument 'module'\n\nusage: levrt <command>/],
  ])('usage error, exit 2, nothing run: levrt %j', async (args, message) => {
    const r = await levrt(args)
    expect([r.code, r.stdout]).toEqual([2, ''])
    expect(r.stderr).toMatch(message)
  })

  it("exits 1 when a run fails, with the error's message and code, after printing what it stored", async () => {
    const r = await levrt(['run', WORKFLOW, 'broken'])
    expect(r.code).toBe(1)
    expect(lines(r)).toEqual([{ found: 1 }])
    expect(r.stderr).toMatch(
      /^levrt run: broken failed: line 2 of the run's records file is not a record: .* \[LEV_BAD_RECORD\]$/m,
    )
  })

  it("exits 1 when the export's own code throws, with its stack", async () => {
    const r = await levrt(['run', WORKFLOW, 'crash'])
    expect([r.code, r.stdout]).toEqual([1, ''])
    expect(r.stderr).toMatch(
      /^levrt run: crash failed: Error: crash: the workflow gave up\n {4}at crash \(.*cli-workflow\.ts:\d+:\d+\)/,
    )
  })

  it('exits 1 when the module throws as it loads: a bad annot.meta is an OptionsError', async () => {
    const r = await levrt(['run', BAD_META, 'scan', '--param', 'ip=1'])
    expect([r.code, r.stdout]).toEqual([1, ''])
    expect(r.stderr).toMatch(
      /^levrt run: cannot load .*cli-bad-meta\.ts: invalid option meta\.params\[1\]: .* \[LEV_INVALID_OPTION\]\n$/,
    )
  })
})

describe('levrt meta', () => {
  it("prints the module's annot.meta as JSON: exports by name, params, categories with their ids", async () => {
    const r = await levrt(['meta', WORKFLOW])
    expect([r.code, r.stderr]).toEqual([0, ''])
    expect(JSON.parse(r.stdout)).toEqual({
      desc: 'probe a target port with busybox (a test fixture)',
      exports: ['probe', 'sweep', 'background', 'broken', 'crash'],
      params: [
        { name: 'target', description: 'host to probe', holder: '10.0.0.1', type: 'string', required: true },
        { name: 'port', description: 'TCP port', holder: '80', type: 'number', required: false, default: 80 },
        {
          name: 'note',
          description: 'free text stored with the result',
          holder: 'first pass',
          type: 'string',
          required: false,
        },
      ],
      cats: {
        Attck: [
          { name: 'Reconnaissance', id: 'TA0043' },
          { name: 'Discovery', id: 'TA0007' },
        ],
        BlackArch: [
          { name: 'Scanner', group: 'blackarch-scanner' },
          { name: 'Recon', group: 'blackarch-recon' },
        ],
      },
      tags: ['busybox', 'test'],
      ext: {},
    })
  })

  it('lists every exported function of a module whose meta leaves exports out, with its defaults and ext', async () => {
    const r = await levrt(['meta', POSITIONAL])
    expect([r.code, r.stderr]).toEqual([0, ''])
    expect(JSON.parse(r.stdout)).toEqual({
      desc: '',
      exports: ['greet', 'shout'],
      params: [
        { name: 'name', description: 'who to greet', holder: 'world', type: 'string', required: true },
      ],
      cats: {
        Attck: [
          { name: 'Discovery', id: 'TA0007' },
          { name: 'Reconnaissance', id: 'TA0043' },
        ],
        BlackArch: [{ name: 'Scanner', group: 'blackarch-scanner' }],
      },
      tags: ['greeting'],
      ext: { author: 'lab team', level: 2 },
    })
    const object = await levrt(['meta', NO_EXPORTS])
    expect([object.code, object.stderr]).toEqual([0, ''])
    expect(JSON.parse(object.stdout)).toMatchObject({
      desc: 'store a note',
      exports: ['note'],
      tags: [],
      ext: {},
    })
  })

  it('exits 2 for a module without meta, or no module', async () => {
    const none = await levrt(['meta', NO_META])
    expect([none.code, none.stdout]).toEqual([2, ''])
    expect(none.stderr).toMatch(/^levrt meta: test\/fixtures\/cli-no-meta\.ts has no meta: /)
    const missing = await levrt(['meta', 'nope.ts'])
    expect([missing.code, missing.stderr.split('\n')[0]]).toEqual([2, 'levrt meta: no such module: nope.ts'])
  })
})

describe('levrt find', () => {
  it('prints the documents a filter matches as EJSON lines; an unknown collection is said so on stderr', async () => {
    await levrt(['run', WORKFLOW, 'probe', '--param', 'target=delta', '--param', 'port=1'], {
      LEVRT_LOG: 'quiet',
    })
    await levrt(['run', WORKFLOW, 'probe', '--param', 'target=delta', '--param', 'port=2'], {
      LEVRT_LOG: 'quiet',
    })
    const r = await levrt(['find', SCHEMA, '{"target": "delta", "port": {"$gt": 1}}'])
    expect([r.code, r.stderr]).toEqual([0, ''])
    expect(lines(r)).toEqual([expect.objectContaining({ target: 'delta', port: 2 })])
    const all = await levrt(['find', SCHEMA])
    expect(lines(all).length).toBeGreaterThanOrEqual(2)
    const since = await levrt([
      'find',
      SCHEMA,
      '{"_lev.startedAt": {"$gt": {"$date": "2000-01-01T00:00:00Z"}}, "target": "delta"}',
    ])
    expect(lines(since)).toHaveLength(2) // EJSON in the filter: a date compares as a date
    // Issue 18: a collection that does not exist is said so (test/ls.test.ts has the suggestions).
    const none = await levrt(['find', 'clitest/none@1.0'])
    expect(none).toMatchObject({ code: 1, stdout: '' })
    expect(none.stderr).toMatch(/^levrt find: no collection clitest\/none@1\.0[;( ]/)
  })

  it('sorts, skips, limits and projects as doc.coll.find does, indexes or not', async () => {
    const SORTED = 'clitest/sorted@1.0'
    const store = new EmbeddedStore(process.env.LEV_HOME as string)
    for (const [i, port] of [443, 22, 8080, 80, 25].entries())
      await store.save(SORTED, i.toString(16).padStart(24, '0'), {
        host: `h${i}`,
        port,
        tags: ['a', `t${i % 2}`],
      })
    const find = async (...args: string[]) => {
      const r = await levrt(['find', SORTED, ...args])
      expect([r.code, r.stderr]).toEqual([0, ''])
      return lines(r)
    }
    const ports = async (...args: string[]) => (await find(...args)).map((d) => (d as { port: number }).port)
    for (const indexed of [false, true]) {
      if (indexed) await store.collection(SORTED).createIndex({ port: 1 })
      expect(await ports('--sort', '{"port": 1}')).toEqual([22, 25, 80, 443, 8080])
      expect(await ports('{"tags": "t0"}', '--sort', '{"port": -1}', '--limit', '2')).toEqual([8080, 443])
      expect(await ports('{"port": {"$gt": 50}}', '--sort', '{"port": 1}', '--skip', '1')).toEqual([
        443, 8080,
      ])
      expect(
        await find(
          '{"host": {"$in": ["h1", "h3"]}}',
          '--projection',
          '{"host": 1, "_id": 0}',
          '--sort',
          '{"_id": -1}',
        ),
      ).toEqual([{ host: 'h3' }, { host: 'h1' }])
    }
    store.close()
  })

  it.each([
    [['find', SCHEMA, '{target: 1}'], /^levrt find: the filter is not JSON: /],
    [['find', SCHEMA, '[1]'], /^levrt find: the filter is a JSON object/],
    [['find'], /^levrt: missing required argument 'collection'/],
    [['find', SCHEMA, '--limit', 'ten'], /^levrt find: --limit takes a whole number ≥ 0 \(got ten\)/],
    [['find', SCHEMA, '--skip', '-1'], /^levrt find: --skip takes a whole number ≥ 0/],
    [['find', SCHEMA, '--sort', '{"port": 2}'], /^levrt find: --sort takes 1 or -1 per field/],
    [['find', SCHEMA, '--sort', 'port'], /^levrt find: --sort is not JSON: /],
    [['find', SCHEMA, '--projection', '[1]'], /^levrt find: --projection is a JSON object/],
  ])('usage error, exit 2: levrt %j', async (args, message) => {
    const r = await levrt(args)
    expect([r.code, r.stdout]).toEqual([2, ''])
    expect(r.stderr).toMatch(message)
  })
})

describe('levrt help, usage errors and gc', () => {
  it.each([
    [[], 'levrt <command> [options]'],
    [['--help'], 'run <module> [export] [--param name=value]...'],
    [['help', 'run'], 'levrt run <module> [export] [--param name=value]...'],
    [['run', '--help'], 'levrt run <module> [export] [--param name=value]...'],
    [['meta', '--help'], 'levrt meta <module>'],
    [['find', '-h'], 'levrt find <collection> [filter-json]'],
    [['gc', '--help'], 'levrt gc [--all] [--dry-run]'],
  ])('levrt %j prints help on stdout and exits 0', async (args, synopsis) => {
    const r = await levrt(args)
    expect([r.code, r.stderr]).toEqual([0, ''])
    expect(r.stdout).toMatch(/^usage: levrt <command> \[options\]\n/)
    expect(r.stdout).toContain(synopsis)
  })

  it.each([
    [['scan'], "levrt: unknown command 'scan'"],
    [['run', WORKFLOW, 'probe', '--target', 'a'], "levrt: unknown option '--target'"],
    [['meta', WORKFLOW, 'extra'], "levrt: too many arguments for 'meta'"],
  ])('levrt %j exits 2 naming the problem, then the help', async (args, message) => {
    const r = await levrt(args)
    expect([r.code, r.stdout]).toEqual([2, ''])
    expect(r.stderr.startsWith(message)).toBe(true)
    expect(r.stderr).toContain('\n\nusage: levrt <command>')
  })

  it('gc --dry-run lists and removes nothing (test/gc.test.ts covers gc in depth)', async () => {
    const r = await levrt(['gc', '--dry-run'])
    expect([r.code, r.stderr]).toEqual([0, ''])
    expect(r.stdout).toMatch(
      /^(no leftovers of dead runs to remove|would remove \d+ leftovers of dead runs \(.*\); nothing removed \(--dry-run\))$/m,
    )
  })
})

describe('annot at run time', () => {
  const scan = (ip: string) => ip
  const ip = annot.param('ip', 'target ip', { holder: '10.0.0.1' })

  it('Attck holds the 14 ATT&CK Enterprise tactics with their TA ids; BlackArch the blackarch-* groups', () => {
    expect(Object.values(Attck)).toHaveLength(14)
    expect(new Set(Object.values(Attck)).size).toBe(14)
    for (const id of Object.values(Attck)) expect(id).toMatch(/^TA00\d\d$/)
    expect([
      attckTacticId(Attck.Reconnaissance),
      attckTacticId(Attck.Impact),
      Attck.CommandAndControl,
    ]).toEqual(['TA0043', 'TA0040', 'TA0011'])
    for (const group of Object.values(BlackArch)) expect(group).toMatch(/^blackarch-[a-z-]+$/)
    expect([BlackArch.Scanner, BlackArch.Recon, BlackArch.Webapp]).toEqual([
      'blackarch-scanner',
      'blackarch-recon',
      'blackarch-webapp',
    ])
  })

  it('returns the meta checked and frozen, with defaults filled in', () => {
    const meta = annot.meta({ exports: [scan], desc: 'd', params: [ip] })
    expect(meta).toEqual({
      exports: [scan],
      desc: 'd',
      params: [{ name: 'ip', description: 'target ip', holder: '10.0.0.1', type: 'string', required: true }],
      cats: { Attck: [], BlackArch: [] },
      tags: [],
      ext: {},
    })
    expect(Object.isFrozen(meta) && Object.isFrozen(meta.params) && Object.isFrozen(meta.params[0])).toBe(
      true,
    )
  })

  // What TypeScript refuses (test/types.check.ts) is refused at run time too, for JavaScript modules.
  const loose = annot.meta as (input: unknown) => unknown
  const looseParam = annot.param as (...args: unknown[]) => unknown
  it.each([
    [
      'an export that is not a function',
      () => loose({ exports: [scan, 'alive'], desc: 'd', params: [ip] }),
      'meta.exports[1]',
    ],
    ['an empty list of exports', () => loose({ exports: [], desc: 'd' }), 'meta.exports'],
    [
      'an export listed twice',
      () => loose({ exports: [scan, scan], desc: 'd', params: [ip] }),
      'meta.exports[1]',
    ],
    [
      'a param name used twice',
      () => loose({ exports: [scan], desc: 'd', params: [ip, ip] }),
      'meta.params[1]',
    ],
    [
      'a description that is not a string',
      () => loose({ exports: [scan], desc: 1, params: [ip] }),
      'meta.desc',
    ],
    [
      'a string for a tactic',
      () => loose({ exports: [scan], desc: 'd', params: [ip], cats: { Attck: ['TA0043'.toLowerCase()] } }),
      'meta.cats.Attck[0]',
    ],
    [
      'a tactic among BlackArch groups',
      () => loose({ exports: [scan], desc: 'd', params: [ip], cats: { BlackArch: [Attck.Impact] } }),
      'meta.cats.BlackArch[0]',
    ],
    [
      'an unknown category family',
      () => loose({ exports: [scan], desc: 'd', params: [ip], cats: { Mitre: [] } }),
      'meta.cats.Mitre',
    ],
    ['an unknown field', () => loose({ exports: [scan], desc: 'd', tag: [] }), 'meta.tag'],
    ['an empty tag', () => loose({ exports: [scan], desc: 'd', tags: [''] }), 'meta.tags[0]'],
    ['a param without description', () => looseParam('ip', { holder: '1' }), 'annot.param("ip")'],
    ['a param name with =', () => looseParam('a=b', 'd', { holder: '1' }), 'annot.param("a=b").name'],
    [
      'a default of another type',
      () => looseParam('top', 'd', { holder: '1', type: 'number', default: '1' }),
      'annot.param("top").default',
    ],
    [
      'required with a default',
      () => looseParam('top', 'd', { holder: '1', default: 'x', required: true }),
      'annot.param("top").required',
    ],
    [
      'an unknown param option',
      () => looseParam('ip', 'd', { holder: '1', example: '2' }),
      'annot.param("ip").example',
    ],
  ])('%s is an OptionsError naming it', (_, make, option) => {
    expect(make).toThrow(expect.objectContaining({ constructor: OptionsError, option }))
  })
})
