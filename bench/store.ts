import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type Dockerode from 'dockerode'
import { MongoClient, type Collection } from 'mongodb'
import type { StartedTestContainer } from 'testcontainers'
import type { Filter, ResultCollection, RunRecord } from '../src/store'
import { EmbeddedStore } from '../src/store/embedded'
import { firstLine, median, verdict } from './lib/measure'
import { assertImages, benchLabels } from './lib/owned'

const FERRETDB = 'levrt-test/ferretdb:1.24'
const COLLECTION = 'bench/scan@1.0'
/** BENCH_P7_SIZES=10000,50000 tries it small; FerretDB gets the first size. */
const SIZES = process.env.BENCH_P7_SIZES
  ? process.env.BENCH_P7_SIZES.split(',').map(Number)
  : [100_000, 1_000_000]
const FERRET_SIZE = SIZES[0]
const LOOKUPS = 500
/** An unindexed FerretDB query reads the whole collection: a few are enough. */
const SLOW_LOOKUPS = 5
const BATCH = 1_000
const SERVICES = ['http', 'https', 'ssh', 'smtp', 'dns', 'rdp'] as const
/** About 1 in 300 documents: a few hundred at 100 000. */
const FILTER: Filter = { ports: 443, service: 'http' }
export const P7_FINDONE_MS = 5

/** A scan result of run `i`, made when needed (a million are never held at once). */
function scanDoc(i: number): {
  id: string
  fields: Record<string, unknown>
  run: RunRecord
  matches: boolean
} {
  const h = hash(i)
  const service = SERVICES[(h >>> 8) % SERVICES.length]
  const ports = [22, ...(h % 3 === 0 ? [80] : []), ...(h % 50 === 0 ? [443] : []), 1024 + (h % 60_000)]
  const started = new Date(1.7e12 + i * 1000)
  return {
    id: i.toString(16).padStart(24, '0'),
    fields: { host: host(i), ports, services: ['ssh', service], service, seen: started },
    run: {
      image: 'levrt/nmap',
      containerId: hash(i + 1)
        .toString(16)
        .padStart(64, '0'),
      exitCode: 0,
      startedAt: started,
      endedAt: new Date(started.getTime() + 900),
      oomKilled: false,
      key: `k${i % 1000}`,
      ok: true,
    },
    matches: service === 'http' && ports.includes(443),
  }
}

const host = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`

function hash(i: number): number {
  let x = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
}

interface Line {
  readonly what: string
  readonly samples: number[]
  readonly unit: 'ms' | 'docs/s'
  readonly found?: number
  error?: unknown
}

/** FerretDB's "indexed" lookups can take seconds each: a row stops after this long (3 samples at least). */
const BUDGET_MS = 90_000

/** Times `fn` up to `n` times, each on the next argument; a wrong answer fails the row. */
async function timed(
  what: string,
  n: number,
  fn: (k: number) => Promise<number>,
  expected: (k: number) => number,
): Promise<Line> {
  const line: Line = { what, samples: [], unit: 'ms' }
  const start = performance.now()
  try {
    let found = 0
    for (let k = 0; k < n && (k < 3 || performance.now() - start < BUDGET_MS); k++) {
      const t0 = performance.now()
      found = await fn(k)
      line.samples.push(performance.now() - t0)
      if (found !== expected(k)) throw new Error(`${what}: ${found} documents, expected ${expected(k)}`)
    }
    return { ...line, found }
  } catch (err) {
    line.error = err
    return line
  }
}

export interface StoreOutcome {
  /** Median ms of an indexed findOne on the embedded store at 1 000 000 runs. */
  readonly findOne1M: number
  /** The embedded store's filtered find at 100 000 over FerretDB's best (with or without index). */
  readonly filteredRatio: number
  readonly failed: boolean
}

/**
 * P7: the embedded store at 100 000 and 1 000 000 runs in one collection (inserted through
 * `save`, one run at a time, as runs store them; indexes on host, ports, service and the run key
 * made first), against the MongoDB driver on the FerretDB test server at 100 000 (loaded with
 * insertMany batches: one by one it takes ~3 minutes), each query timed with and without an index.
 */
export async function storeBench(docker: Dockerode, rounds: number): Promise<StoreOutcome> {
  await assertImages(
    docker,
    [FERRETDB],
    'run: bash scripts/setup.sh --test (builds the FerretDB test server)',
  )
  const { GenericContainer, Wait } = await import('testcontainers')
  const home = mkdtempSync(join(tmpdir(), 'levrt-bench-p7-'))
  const store = new EmbeddedStore(home)
  const lines: Line[] = []
  let ferret: StartedTestContainer | undefined
  let client: MongoClient | undefined
  const expected = new Map<number, number>() // size -> documents the filter matches
  try {
    // FerretDB is loaded first and queried once the embedded store has as many documents.
    ferret = await new GenericContainer(FERRETDB)
      .withExposedPorts(27017)
      .withLabels(benchLabels())
      .withWaitStrategy(Wait.forLogMessage(/Listening on TCP /))
      .start()
    const server = ferret
    const driver = (client = await new MongoClient(
      `mongodb://127.0.0.1:${server.getMappedPort(27017)}/`,
    ).connect())
    const mongo = driver.db('levbench').collection<{ _id: string }>(COLLECTION)
    lines.push(
      await load(
        `FerretDB: insertMany, batches of ${BATCH}, 0 → ${FERRET_SIZE}`,
        0,
        FERRET_SIZE,
        async (from, to) => {
          const docs = []
          for (let i = from; i < to; i++) {
            const d = scanDoc(i)
            docs.push({ _id: d.id, ...d.fields, _lev: d.run })
          }
          await mongo.insertMany(docs, { ordered: false })
        },
      ),
    )

    const coll = store.collection(COLLECTION)
    for (const path of ['host', 'ports', 'service', '_lev.key']) await coll.createIndex({ [path]: 1 })
    let size = 0
    let matches = 0
    for (const target of SIZES) {
      lines.push(
        await load(`embedded: save one by one, ${size} → ${target}`, size, target, async (from, to) => {
          for (let i = from; i < to; i++) {
            const d = scanDoc(i)
            if (d.matches) matches++
            await store.save(COLLECTION, d.id, d.fields, d.run)
          }
        }),
      )
      size = target
      expected.set(size, matches)
      const n = size
      lines.push(
        await timed(
          `embedded, ${n}: findOne({ host }), indexed`,
          LOOKUPS,
          (k) => one(coll, host(hash(k) % n)),
          () => 1,
        ),
      )
      lines.push(
        await timed(
          `embedded, ${n}: find(${JSON.stringify(FILTER)}), indexed`,
          rounds,
          () => many(coll, FILTER),
          () => matches,
        ),
      )
      lines.push(
        await timed(
          `embedded, ${n}: latest run of a key (find({ '_lev.key' }, sort _id -1, limit 1))`,
          LOOKUPS,
          (k) => latest(coll, `k${hash(k) % 1000}`),
          () => 1,
        ),
      )
      if (n === FERRET_SIZE) {
        const m = expected.get(FERRET_SIZE) as number
        lines.push(
          await timed(
            `FerretDB, ${n}: findOne({ host }), no index`,
            SLOW_LOOKUPS,
            (k) => one(mongo, host(hash(k) % n)),
            () => 1,
          ),
        )
        lines.push(
          await timed(
            `FerretDB, ${n}: find(filter), no index`,
            Math.min(rounds, 3),
            () => many(mongo, FILTER),
            () => m,
          ),
        )
        for (const path of ['host', 'ports', 'service']) await mongo.createIndex({ [path]: 1 })
        lines.push(
          await timed(
            `FerretDB, ${n}: findOne({ host }), indexed`,
            LOOKUPS,
            (k) => one(mongo, host(hash(k) % n)),
            () => 1,
          ),
        )
        lines.push(
          await timed(
            `FerretDB, ${n}: find(filter), indexed`,
            rounds,
            () => many(mongo, FILTER),
            () => m,
          ),
        )
        // Gone before the million: its memory and disk are not the embedded store's to compete with.
        client = undefined
        ferret = undefined
        await driver.close()
        await server.stop({ remove: true, removeVolumes: true })
      }
    }
    const bytes = statSync(join(home, 'store.db')).size
    return report(lines, expected, bytes, rounds)
  } finally {
    store.close()
    await client?.close()
    await ferret?.stop({ remove: true, removeVolumes: true })
    rmSync(home, { recursive: true, force: true })
  }
}

async function load(
  what: string,
  from: number,
  to: number,
  write: (from: number, to: number) => Promise<void>,
): Promise<Line> {
  const line: Line = { what, samples: [], unit: 'docs/s' }
  try {
    const t0 = performance.now()
    for (let i = from; i < to; i += BATCH) await write(i, Math.min(to, i + BATCH))
    line.samples.push((to - from) / ((performance.now() - t0) / 1000))
  } catch (err) {
    line.error = err
  }
  return line
}

type Queryable = Pick<ResultCollection, 'findOne'> | Collection<{ _id: string }>
const one = async (c: Queryable, h: string) => ((await (c as ResultCollection).findOne({ host: h })) ? 1 : 0)
const many = async (c: Queryable, filter: Filter) =>
  (await (c as ResultCollection).find(filter).toArray()).length
const latest = async (c: ResultCollection, key: string) =>
  (await c.find({ '_lev.key': key }, { sort: { _id: -1 }, limit: 1 }).toArray()).length

function report(
  lines: readonly Line[],
  expected: ReadonlyMap<number, number>,
  bytes: number,
  rounds: number,
): StoreOutcome {
  const med = (prefix: string) => {
    const l = lines.find((x) => x.what.startsWith(prefix))
    return l && l.samples.length && l.error === undefined ? median(l.samples) : Number.NaN
  }
  const ferretBest = Math.min(
    med(`FerretDB, ${FERRET_SIZE}: find(filter), no index`),
    med(`FerretDB, ${FERRET_SIZE}: find(filter), indexed`),
  )
  const ferretFilter = Number.isNaN(ferretBest)
    ? med(`FerretDB, ${FERRET_SIZE}: find(filter), indexed`)
    : ferretBest
  const counts = [...expected].map(([n, m]) => `${m} at ${n}`).join(', ')
  console.log(
    `\nP7 — one collection of scan results (host, ports array, services, a Date, _lev bookkeeping); the filter ${JSON.stringify(FILTER)} ` +
      `matches ${counts}; findOne: up to ${LOOKUPS} lookups of random hosts (${SLOW_LOOKUPS} unindexed on FerretDB); finds: ${rounds} rounds ` +
      `(${Math.min(rounds, 3)} unindexed on FerretDB); a row stops after ${BUDGET_MS / 1000} s; embedded file at ${SIZES[SIZES.length - 1]}: ${(bytes / 2 ** 20).toFixed(0)} MiB`,
  )
  console.log(
    '| what | samples | median | min–max | ratio to FerretDB, same query, best of with/without index |',
  )
  console.log('|---|---|---|---|---|')
  for (const l of lines) {
    if (l.error !== undefined || l.samples.length === 0) {
      console.log(`| ${l.what} | ${l.samples.length} | FAILED: ${firstLine(l.error)} | | |`)
      continue
    }
    const m = median(l.samples)
    const fmt = (v: number) => (l.unit === 'ms' ? `${v.toFixed(2)} ms` : `${Math.round(v)} docs/s`)
    const base = l.what.includes('findOne')
      ? Math.min(
          med(`FerretDB, ${FERRET_SIZE}: findOne({ host }), no index`),
          med(`FerretDB, ${FERRET_SIZE}: findOne({ host }), indexed`),
        )
      : ferretFilter
    const ratio = l.unit === 'ms' && !l.what.includes('latest') ? `${(m / base).toFixed(3)}×` : ''
    console.log(
      `| ${l.what} | ${l.samples.length} | ${fmt(m)} | ${fmt(Math.min(...l.samples))}–${fmt(Math.max(...l.samples))} | ${ratio} |`,
    )
  }
  const findOne1M = med(`embedded, ${SIZES[SIZES.length - 1]}: findOne`)
  const filtered = med(`embedded, ${FERRET_SIZE}: find(`)
  const filteredRatio = filtered / ferretFilter
  const failed = lines.some((l) => l.error !== undefined)
  console.log(
    `\nP7 findOne at 1 000 000: ${findOne1M.toFixed(2)} ms (target < ${P7_FINDONE_MS} ms) ${verdict(findOne1M, (v) => v < P7_FINDONE_MS)}`,
  )
  console.log(
    `P7 filtered find at ${FERRET_SIZE}, embedded / FerretDB's best: ${filteredRatio.toFixed(3)}× (target ≤ 1×) ${verdict(filteredRatio, (r) => r <= 1)}`,
  )
  console.log(`P7 failures at any size: ${failed ? 'SOME (see the table)' : 'none'}`)
  return { findOne1M, filteredRatio, failed }
}
