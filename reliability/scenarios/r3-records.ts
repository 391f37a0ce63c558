import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { EJSON } from 'bson'
import {
  Cr,
  createContext,
  RecordError,
  ResultTooLargeError,
  withContext,
  type Context,
  type CrOptions,
} from '../../src/index'
import { MAX_LINE_BYTES } from '../../src/results/records'
import { runObjectsLeft } from '../lib/leaks'
import { startMongoServer } from '../lib/mongo-server'
import { Random } from '../lib/random'
import { recordStream } from '../lib/record-stream'
import { readerVolume } from '../lib/reader-volume'
import type { Outcome, Scenario, ScenarioRun } from '../scenario'

const IMAGE = 'levrt/busybox'
const SCHEMA = 'reliability/r3@1.0'
const MiB = 2 ** 20

/** A run whose records file is written by `cmd`, and what the store must then hold. */
interface Case {
  readonly name: string
  readonly options: CrOptions
  readonly fields: Record<string, unknown>
  /** The lines the RecordError must name; none: the run must not fail. */
  readonly bad: readonly number[]
  /** The result is over the document limit: a ResultTooLargeError, `fields` kept whole on disk. */
  readonly tooLarge?: boolean
}

/** A tool that copies a file into the records file, in one write or in several with pauses. */
function copying(name: string, stream: ReturnType<typeof recordStream>, splitAt?: number[]): Case {
  const copy =
    splitAt === undefined
      ? 'cat /w/stream >> "$LEV_RECORDS"'
      : [0, ...splitAt, stream.bytes.length]
          .slice(1)
          .map((end, i, ends) => {
            const start = i === 0 ? 0 : ends[i - 1]
            return `tail -c +${start + 1} /w/stream | head -c ${end - start} >> "$LEV_RECORDS"; sleep 0.2`
          })
          .join('; ')
  return {
    name,
    options: { cmd: ['sh', '-c', copy], files: { '/w/stream': stream.bytes } },
    fields: stream.fields,
    bad: stream.bad,
  }
}

/** A tool that writes a record of `bytes` (one string field) between two small ones, made in the container. */
function bigRecord(name: string, bytes: number): Case {
  const fill = bytes - '{"big":""}'.length
  const script =
    'R="$LEV_RECORDS"; printf \'{"before":1}\\n\' >> "$R"; ' +
    `{ printf '{"big":"'; head -c ${fill} /dev/zero | tr '\\0' a; printf '"}\\n'; } >> "$R"; ` +
    'printf \'{"after":2}\\n\' >> "$R"'
  // Over the document limit: kept whole on disk. Over the line limit: dropped as it streams.
  const dropped = bytes > MAX_LINE_BYTES
  return {
    name,
    options: { cmd: ['sh', '-c', script] },
    fields: dropped ? { before: 1, after: 2 } : { before: 1, big: 'a'.repeat(fill), after: 2 },
    bad: dropped ? [2] : [],
    tooLarge: !dropped && bytes > 16 * MiB,
  }
}

function cases(r: Random, full: boolean): Case[] {
  const list: Case[] = []
  for (let i = 0; i < (full ? 12 : 3); i++) {
    const stream = recordStream(r, full ? 400 : 120, i % 3 === 2)
    list.push(copying(`fuzzed stream ${i + 1}${stream.cut ? ' (cut)' : ''}`, stream))
  }
  const split = recordStream(r, 20)
  const cuts = [r.int(1, split.bytes.length - 2), r.int(1, split.bytes.length - 2)].sort((a, b) => a - b)
  list.push(copying('records split across writes', split, [...new Set(cuts)]))
  list.push(bigRecord('a 15.9 MiB record', Math.floor(15.9 * MiB)))
  list.push(bigRecord('a 16.1 MiB record', Math.ceil(16.1 * MiB)))
  list.push(bigRecord('a 33 MiB line', 33 * MiB))
  // Many records into few fields (a server takes minutes over a document of 100 000 fields): each
  // record sets `n` and one of 1000 fields, so the document shows the last write of each.
  const count = full ? 100_000 : 10_000
  const small = Array.from({ length: count }, (_, i) => `{"n":${i},"r${i % 1000}":${i}}\n`).join('')
  const last = Object.fromEntries(Array.from({ length: 1000 }, (_, k) => [`r${k}`, count - 1000 + k]))
  list.push({
    name: `${count} small records`,
    options: { cmd: ['sh', '-c', 'cat /w/stream >> "$LEV_RECORDS"'], files: { '/w/stream': small } },
    fields: { n: count - 1, ...last },
    bad: [],
  })
  return list
}

/** Runs one case; returns what went wrong, if anything. */
async function runCase(
  ctx: Context,
  c: Case,
  serverTakesOversize: boolean,
  storedOversize: Set<Case>,
): Promise<string | undefined> {
  let settled: { doc?: Awaited<Cr>; err?: unknown }
  try {
    settled = { doc: await withContext(ctx, () => new Cr(IMAGE, SCHEMA, c.options)) }
  } catch (err) {
    settled = { err }
  }
  const { err } = settled
  if (c.tooLarge && err instanceof ResultTooLargeError) {
    const kept = (EJSON.parse(readFileSync(err.path, 'utf8')) as { fields: unknown }).fields
    return isDeepStrictEqual(kept, c.fields) ? undefined : 'the result kept on disk differs'
  }
  // The test server (FerretDB 1.x) takes a document a little over 16 MiB, which MongoDB refuses.
  if (c.tooLarge && (err || !serverTakesOversize)) return `not a ResultTooLargeError: ${String(err)}`
  if (c.tooLarge) storedOversize.add(c)
  if (c.bad.length > 0 && !(err instanceof RecordError)) return `not a RecordError: ${String(err)}`
  if (c.bad.length === 0 && err) return `failed: ${String(err)}`
  const doc = err instanceof RecordError ? err.document : settled.doc!
  if (err instanceof RecordError) {
    const named = err.problems.map((p) => p.line)
    if (!isDeepStrictEqual(named, c.bad))
      return `RecordError named lines ${named.join(',')}, not ${c.bad.join(',')}`
  }
  const stored = await withContext(ctx, () => doc.get())
  if (!isDeepStrictEqual(stored, c.fields)) return `stored ${describeDiff(stored ?? {}, c.fields)}`
  return undefined
}

function describeDiff(got: Record<string, unknown>, want: Record<string, unknown>): string {
  const missing = Object.keys(want).filter((k) => !(k in got) || !isDeepStrictEqual(got[k], want[k]))
  const extra = Object.keys(got).filter((k) => !(k in want))
  const first = missing[0]
  const show = (v: unknown) => (JSON.stringify(v) ?? String(v)).slice(0, 160)
  const example = first === undefined ? '' : ` (${first}: ${show(got[first])}, not ${show(want[first])})`
  return `fields differing: ${missing.slice(0, 5).join(', ') || '-'}${example}; unexpected: ${extra.slice(0, 5).join(', ') || '-'}`
}

export const r3Records: Scenario = {
  id: 'R3',
  title: 'records: fuzzed streams into both stores',
  async run(how: ScenarioRun): Promise<Outcome> {
    const full = how.scale === 'full'
    const r = new Random(how.seed)
    const list = cases(r, full)
    const problems: string[] = []
    let losses = 0
    let runs = 0
    const server = await startMongoServer()
    const homes = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'levrt-r3-')))
    try {
      const stores = [
        { name: 'embedded', ctx: createContext({ home: homes[0], log: 'quiet' }) },
        { name: 'MongoDB', ctx: createContext({ mongoUrl: server.url, mongoDb: 'r3', home: homes[1] }) },
      ]
      for (const store of stores) {
        // Documents over 16 MiB the test server took whole (MongoDB itself refuses them).
        const storedOversize = new Set<Case>()
        for (const c of list) {
          const begun = Date.now()
          const wrong = await runCase(store.ctx, c, store.name === 'MongoDB', storedOversize)
          runs++
          how.log(`${store.name}: ${c.name}: ${wrong ?? 'ok'} (${Date.now() - begun} ms)`)
          if (wrong) {
            problems.push(`${store.name}, ${c.name}: ${wrong}`)
            losses++
          }
        }
        const count = await withContext(store.ctx, () =>
          store.ctx.store().collection(SCHEMA).countDocuments(),
        )
        const stored = list.filter((c) => !c.tooLarge || storedOversize.has(c)).length
        if (count !== stored)
          problems.push(`${store.name}: ${count} documents for ${stored} runs that store one`)
      }
      const direct = await readerVolume(r, full ? 1_000_000 : 50_000)
      how.log(`reader alone: ${direct.lines} lines in ${direct.ms} ms: ${direct.problem ?? 'ok'}`)
      if (direct.problem) problems.push(`reader alone: ${direct.problem}`)
      const records = list.reduce((n, c) => n + Object.keys(c.fields).length, 0)
      return {
        load:
          `${runs} runs (${list.length} per store: fuzzed, split, 15.9/16.1/33 MiB, ` +
          `${full ? '100 000' : '10 000'} records), ${direct.lines} lines through the reader alone`,
        faults: `${list.reduce((n, c) => n + c.bad.length, 0)} bad lines per store, ${records} fields`,
        leaks: await runObjectsLeft(),
        losses,
        problems,
      }
    } finally {
      await server.stop()
      for (const home of homes) rmSync(home, { recursive: true, force: true })
    }
  },
}
