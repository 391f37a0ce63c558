import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { isDeepStrictEqual, promisify } from 'node:util'
import { BSON, ObjectId } from 'bson'
import type Dockerode from 'dockerode'
import { MongoClient } from 'mongodb'
import type { StartedTestContainer } from 'testcontainers'
import { Cr, remote, type Document } from '../src/index'
import { withEnv } from './lib/env'
import { contender, interleaved, printTable, rowMedian, verdict, type Row } from './lib/measure'
import {
  measureInChild,
  medianOf,
  memoryRows,
  MiB,
  printMemoryTable,
  type MemoryCase,
  type MemoryRow,
} from './lib/memory'
import { assertImages, benchLabels } from './lib/owned'

const run = promisify(execFile)
const NODE = 'levrt/node:20'
const FERRETDB = 'levrt-test/ferretdb:1.24'
const SCHEMA = 'bench/big@1.0'
const DB = 'levbench'
const BIG = 8e6
const SMALL = 2e6

/**
 * Builds about `bytes` (as JSON) of scan findings — strings, integers, floats, booleans, arrays,
 * one object per finding — and stores them with one `lev.set`. It runs as the entry inside the
 * container, and on the host for the driver floor, so both store the same document. It must
 * stay self-contained: `remote()` ships its source.
 */
function findings(lev: { set(data: Record<string, unknown>): void }, bytes: number): void {
  const services = ['http', 'https', 'ssh', 'smtp', 'dns', 'rdp']
  const items = []
  let size = 0
  for (let i = 0; size < bytes; i++) {
    const service = services[i % services.length]
    const item = {
      host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      port: 1 + ((i * 7919) % 65535),
      service,
      open: i % 3 !== 0,
      severity: ((i * 31) % 100) / 10,
      banner: `${service}/${i % 7}.${i % 13} ` + 'lorem ipsum dolor sit amet '.repeat(1 + (i % 9)),
      tags: ['tcp', `t${i % 17}`],
    }
    items.push(item)
    size += JSON.stringify(item).length
  }
  lev.set({ target: 'bench.example', count: items.length, findings: items })
}

const entry = remote(findings)

/** The fields `findings` stores for `bytes`, built on the host. */
function fieldsFor(bytes: number): Record<string, unknown> {
  let fields: Record<string, unknown> = {}
  findings({ set: (data) => (fields = { ...fields, ...data }) }, bytes)
  return fields
}

/** Run in a fresh process by `measureInChild`: one driver insert, or one levrt run on the environment's store. */
export const memoryCases: Record<string, MemoryCase> = {
  async driver({ url, bytes }: { url: string; bytes: number }) {
    const client = await new MongoClient(url).connect()
    const coll = client.db(DB).collection<{ _id: string }>(SCHEMA)
    const insert = (n: number) => coll.insertOne({ _id: new ObjectId().toHexString(), ...fieldsFor(n) })
    return {
      warmUp: async () => void (await insert(2000)),
      run: async () => void (await insert(bytes)),
      close: () => client.close(),
    }
  },
  async levrt({ bytes }: { bytes: number }) {
    return {
      warmUp: async () => void (await new Cr(NODE, SCHEMA, { entry: entry(2000) })),
      run: async () => void (await new Cr(NODE, SCHEMA, { entry: entry(bytes) })),
    }
  },
}

export interface BigResultOutcome {
  readonly ratio: number
  readonly memoryOk: boolean | undefined
}

/**
 * P3: an entry that stores an ~8 MB document, end to end (container, entry, result back to the
 * host, stored, Document in hand), against a driver insertOne of the same document into the same
 * server. Also: the embedded store, a 2 MB document (how host memory scales), and `docker run`
 * of the node image doing nothing (what a container costs). Host memory is measured apart, in
 * fresh processes (see `measureInChild`), `memoryRounds` times per case.
 */
export async function bigResultBench(
  docker: Dockerode,
  rounds: number,
  memoryRounds: number,
): Promise<BigResultOutcome> {
  await assertImages(docker, [NODE], 'run: npm run images')
  await assertImages(
    docker,
    [FERRETDB],
    'run: bash scripts/setup.sh --test (builds the FerretDB test server)',
  )
  const measure = (bytes: number) => {
    const fields = fieldsFor(bytes)
    return { bson: BSON.calculateObjectSize(fields), count: fields.count as number }
  }
  const [big, small] = [measure(BIG), measure(SMALL)]

  // Loaded here, not at the top: the memory cases' fresh processes load this module too.
  const { GenericContainer, Wait } = await import('testcontainers')
  let ferret: StartedTestContainer | undefined
  let client: MongoClient | undefined
  const embeddedHome = mkdtempSync(join(tmpdir(), 'levrt-bench-p3-'))
  try {
    ferret = await new GenericContainer(FERRETDB)
      .withExposedPorts(27017)
      .withLabels(benchLabels())
      // FROM scratch: no /bin/sh for forListeningPorts' in-container check. FerretDB logs this once bound.
      .withWaitStrategy(Wait.forLogMessage(/Listening on TCP /))
      .start()
    const url = `mongodb://127.0.0.1:${ferret.getMappedPort(27017)}/`
    const mongo = { LEV_MONGO_URL: url, LEV_MONGO_DB: DB }
    const embedded = { LEV_MONGO_URL: undefined, LEV_MONGO_DB: undefined, LEV_HOME: embeddedHome }
    client = await new MongoClient(url).connect()
    const coll = client.db(DB).collection<{ _id: string }>(SCHEMA)

    const floor = (bytes: number, label: string) =>
      contender({
        name: `driver: build doc + insertOne, ${label} (floor)`,
        async run() {
          const _id = new ObjectId().toHexString()
          await coll.insertOne({ _id, ...fieldsFor(bytes) })
          return _id
        },
        async after(_: unknown, id: string | undefined) {
          if (id) await coll.deleteOne({ _id: id })
        },
      })
    const levrt = (bytes: number, label: string, store: 'MongoDB' | 'embedded') =>
      contender({
        name: `levrt await new Cr(entry), ${label}, ${store}`,
        run: () =>
          withEnv(store === 'MongoDB' ? mongo : embedded, () =>
            new Cr(NODE, SCHEMA, { entry: entry(bytes) }).done(),
          ),
        async after(_: unknown, doc: Document | undefined) {
          // Keeps the server's database small; the embedded store's folder goes at the end.
          if (doc && store === 'MongoDB') await coll.deleteOne(doc.filters)
        },
      })
    const contenders = [
      floor(BIG, '8 MB'),
      levrt(BIG, '8 MB', 'MongoDB'),
      levrt(BIG, '8 MB', 'embedded'),
      floor(SMALL, '2 MB'),
      levrt(SMALL, '2 MB', 'MongoDB'),
      contender({
        name: 'docker run --rm node image `true` (container floor)',
        run: () => run('docker', ['run', '--rm', NODE, 'true']),
      }),
      contender({
        name: 'docker run --rm node image `node -e 0`',
        run: () => run('docker', ['run', '--rm', NODE, 'node', '-e', '0']),
      }),
    ]
    const rows = await interleaved(contenders, rounds)

    // That levrt stores what the floor inserts.
    const check = await withEnv(mongo, () => new Cr(NODE, SCHEMA, { entry: entry(SMALL) }).done())
    const stored = await withEnv(mongo, () => check.get())
    await coll.deleteOne(check.filters)
    const same = isDeepStrictEqual(stored, fieldsFor(SMALL)) // key order aside

    const memory = await memoryRows(
      [
        {
          name: 'driver insertOne, 8 MB (floor)',
          measure: () => measureInChild(__filename, 'driver', { url, bytes: BIG }),
        },
        {
          name: 'levrt, 8 MB, MongoDB',
          measure: () => measureInChild(__filename, 'levrt', { bytes: BIG }, mongo),
        },
        {
          name: 'levrt, 8 MB, embedded',
          measure: () =>
            measureInChild(
              __filename,
              'levrt',
              { bytes: BIG },
              { LEV_MONGO_URL: '', LEV_HOME: embeddedHome },
            ),
        },
        {
          name: 'driver insertOne, 2 MB (floor)',
          measure: () => measureInChild(__filename, 'driver', { url, bytes: SMALL }),
        },
        {
          name: 'levrt, 2 MB, MongoDB',
          measure: () => measureInChild(__filename, 'levrt', { bytes: SMALL }, mongo),
        },
      ],
      memoryRounds,
    )

    printTable(
      `P3 — an entry storing one document of scan findings (8 MB: ${big.count} findings, ${(big.bson / MiB).toFixed(2)} MiB BSON; ` +
        `2 MB: ${small.count}, ${(small.bson / MiB).toFixed(2)} MiB), FerretDB on loopback, ` +
        `${rounds} rounds interleaved (target: levrt ≤ 1.3× floor)`,
      rows,
      contenders[0].name,
    )
    if (!same) console.log(`WARNING: the document levrt stored differs from the one the floor inserts`)
    printMemoryTable(
      `P3 host memory — each sample a fresh process (warmed up with a 2 kB run of the same kind, then one measured run), ` +
        `${memoryRounds} samples per row (target: flat beyond one copy of the document)`,
      memory,
      { label: 'document', bytes: (name) => (name.includes('8 MB') ? big.bson : small.bson) },
    )
    return summarize(
      rows,
      contenders.map((c) => c.name),
      memory,
      { big: big.bson, small: small.bson },
    )
  } finally {
    await client?.close()
    await sleep(300) // the SDK's idle MongoDB client closes itself 200 ms after its last use
    await ferret?.stop({ remove: true, removeVolumes: true })
    rmSync(embeddedHome, { recursive: true, force: true })
  }
}

function summarize(
  rows: Row[],
  names: string[],
  memory: MemoryRow[],
  size: { big: number; small: number },
): BigResultOutcome {
  const [floorBig, levrtBig, embeddedBig] = names
  const ratio = rowMedian(rows, levrtBig) / rowMedian(rows, floorBig)
  console.log(
    `\nP3 ratio (levrt, MongoDB, 8 MB / driver floor): ${ratio.toFixed(2)}× (target ≤ 1.3×) ${verdict(ratio, (r) => r <= 1.3)}`,
  )
  console.log(
    `P3 embedded store, 8 MB / driver floor: ${(rowMedian(rows, embeddedBig) / rowMedian(rows, floorBig)).toFixed(2)}×`,
  )

  const [fb, lb, eb, fs, ls] = memory.map((r) => medianOf(r, 'rss'))
  const slope = (b: number, s: number) => (b - s) / (size.big - size.small)
  console.log(
    `P3 host memory growth, 2 → 8 MB (RSS bytes per document byte): levrt ${slope(lb, ls).toFixed(2)}, ` +
      `driver floor ${slope(fb, fs).toFixed(2)} (a fresh process absorbs the first few MiB in heap it already ` +
      `holds, so the 2 MB rows read low and these slopes high)`,
  )
  // "Flat beyond one copy": on top of what the driver itself needs for the same insert, levrt's
  // peak holds at most one more copy of the document, on either store. Judged at 8 MB, where the
  // figures are well above the heap headroom that hides small increases.
  const beyond = (store: string, rss: number) => {
    const extra = (rss - fb) / size.big
    console.log(
      `P3 host memory beyond the floor's at 8 MB, ${store}: ${((rss - fb) / MiB).toFixed(1)} MiB = ${extra.toFixed(2)}× ` +
        `the document (target ≤ 1×: at most one extra copy) ${verdict(extra, (x) => x <= 1)}`,
    )
    return extra
  }
  const extras = [beyond('MongoDB', lb), beyond('embedded', eb)]
  const memoryOk = extras.some(Number.isNaN) ? undefined : extras.every((x) => x <= 1)
  return { ratio, memoryOk }
}
