import fc from 'fast-check'
import { EJSON } from 'bson'
import { MongoClient, MongoServerError, type Db } from 'mongodb'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { Filter, FindOptions, ResultCollection, StoredDoc } from '../src/store'
import { EmbeddedStore } from '../src/store/embedded'
import { levrtObjects } from './support/engine'
import { documents, filters, options, PATHS } from './support/mql-arbitraries'
import {
  DEVIATIONS,
  matchDeviations,
  shapeDeviations,
  type Deviation,
} from './support/test-server-deviations'
import { isDeepStrictEqual } from 'node:util'

/**
 * The same generated queries on the MongoDB test server (FerretDB), the embedded store, and the
 * embedded store with an index on every queried path. The embedded stores must agree with each
 * other always, and with the test server but for its listed deviations from MongoDB
 * (test/support/test-server-deviations.ts; test/store-semantics.test.ts checks MongoDB's
 * documented answer for each). A failure prints fast-check's seed and the shrunk query.
 */

const SEEDS = (process.env.LEV_DIFF_SEEDS ?? '1,2').split(',').map(Number)
const QUERIES = Number(process.env.LEV_DIFF_QUERIES ?? 2000)

/** Documents as any store gives them back, for comparison (-0 is 0, a Date its instant). */
const normal = (docs: readonly StoredDoc[]) =>
  EJSON.parse(EJSON.stringify(docs, { relaxed: true }), { relaxed: true }) as unknown

let client: MongoClient
let db: Db
const homes: string[] = []
let before: Awaited<ReturnType<typeof levrtObjects>>
beforeAll(async () => {
  before = await levrtObjects()
  client = await new MongoClient(inject('mongoUrl')).connect()
  db = client.db(`levdiff_${randomBytes(4).toString('hex')}`)
})
afterAll(async () => {
  await db?.dropDatabase().catch(() => undefined)
  await client?.close()
  for (const h of homes) rmSync(h, { recursive: true, force: true })
  expect(await levrtObjects()).toEqual(before)
})

describe.each(SEEDS)('seed %i', (seed) => {
  let server: ResultCollection
  // `flat`: the documents the test server stores (it refuses arrays in arrays); `all`: every one.
  const plain: Record<'flat' | 'all', ResultCollection> = {} as never
  const indexed: Record<'flat' | 'all', ResultCollection> = {} as never
  const stores: EmbeddedStore[] = []
  let byId: (ids: unknown[]) => StoredDoc[]

  beforeAll(async () => {
    const [docs] = fc.sample(documents, { seed, numRuns: 1 })
    const name = `diff/s${seed}@1.0`
    const all = docs.map((d, i) => ({ _id: i.toString(16).padStart(24, '0'), ...d }))
    const flat: typeof all = []
    const target = db.collection<{ _id: string }>(name)
    for (const d of all) {
      const stored = await target.insertOne(d).then(
        () => true,
        (err: Error) => /nested arrays are not supported/.test(err.message) || Promise.reject(err),
      )
      if (stored === true && (await target.countDocuments({ _id: d._id })) === 1) flat.push(d)
    }
    server = target as unknown as ResultCollection
    for (const [k, set] of [
      ['flat', flat],
      ['all', all],
    ] as const) {
      for (const [n, into] of [plain, indexed].entries()) {
        const home = mkdtempSync(join(tmpdir(), 'levrt-diff-'))
        homes.push(home)
        const store = new EmbeddedStore(home)
        stores.push(store)
        for (const d of set) await store.save(name, d._id, d)
        into[k] = store.collection(name)
        if (n === 1) for (const p of PATHS) await into[k].createIndex({ [p]: 1 })
      }
    }
    byId = (ids) => ids.map((id) => all.find((d) => d._id === id) as StoredDoc)
    expect(flat.length).toBeGreaterThan(10)
  })
  afterAll(() => {
    for (const s of stores) s.close()
  })

  it(`answers ${QUERIES} generated finds and counts as the test server does, indexed or not`, async () => {
    let refused = 0
    const seen = new Map<Deviation, number>()
    /**
     * The listed deviations that explain a difference: every document matched by one side only
     * is in a corner of the filter; when both match the same documents, order or shape differs
     * only through a sort or projection corner.
     */
    const deviation = async (filter: Filter, opts: FindOptions): Promise<Deviation[]> => {
      const ids = async (c: ResultCollection) =>
        new Set((await c.find(filter, { projection: { _id: 1 } }).toArray()).map((d) => d._id))
      const [mine, theirs] = await Promise.all([ids(plain.flat), ids(server)])
      const differing = [...mine, ...theirs].filter((id) => !(mine.has(id) && theirs.has(id)))
      const docs = byId(differing.length > 0 ? differing : [...mine])
      if (differing.length > 0) {
        const each = docs.map((d) => matchDeviations(filter, d))
        return each.every((d) => d.length > 0) ? [...new Set(each.flat())] : []
      }
      return shapeDeviations(opts, docs)
    }
    await fc.assert(
      fc.asyncProperty(filters, options, async (filter: Filter, opts: FindOptions) => {
        const [p, i, s, pa, ia] = await Promise.all([
          answer(plain.flat, filter, opts),
          answer(indexed.flat, filter, opts),
          answer(server, filter, opts).catch(unsupported),
          answer(plain.all, filter, opts),
          answer(indexed.all, filter, opts),
        ])
        expect(i, 'the index changed the answer').toEqual(p)
        expect(ia, 'the index changed the answer (arrays in arrays)').toEqual(pa)
        if (s === UNSUPPORTED) refused++
        else if (!isDeepStrictEqual(s, p)) {
          const listed = await deviation(filter, opts)
          if (listed.length === 0) expect(p, 'the embedded store and the test server differ').toEqual(s)
          for (const d of listed) seen.set(d, (seen.get(d) ?? 0) + 1)
        }
      }),
      { seed, numRuns: QUERIES, endOnFailure: true },
    )
    const listed = [...seen].map(([d, n]) => `${n} × ${DEVIATIONS[d]}`).join(', ') || 'none'
    console.log(
      `seed ${seed}: ${QUERIES} queries; the test server refused ${refused} (not implemented); ` +
        `listed deviations: ${listed}`,
    )
  }, 240_000)
})

const UNSUPPORTED = 'not implemented by the test server'

/** FerretDB refuses some of the language (code 238, NotImplemented): the embedded stores are compared then. */
function unsupported(err: unknown): typeof UNSUPPORTED {
  if (err instanceof MongoServerError && err.code === 238) return UNSUPPORTED
  throw err
}

async function answer(coll: ResultCollection, filter: Filter, opts: FindOptions): Promise<unknown> {
  const found = normal(await coll.find(filter, opts).toArray())
  return { found, count: await coll.countDocuments(filter) }
}
