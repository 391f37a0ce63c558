import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { readFileSync } from 'node:fs'
import {
  Cr,
  remote,
  ResultTooLargeError,
  type Document,
  type Filter,
  type Projection,
  type ResultCollection,
  type StoredDoc,
} from '../src/index'
import type { FindOptions } from '../src/store'
import { rejection } from './support/async'
import { storeFromEnv } from '../src/store'
import { useStore } from './support/env'

const fields = {
  target: 'example.com',
  issues: ['a', 'b'],
  nested: { a: 2, b: { c: 'deep' } },
  count: 3,
  when: new Date('2020-11-14T02:38:10.732Z'),
}

// [query, projection, expected]: the same table runs against both stores.
const cases: [Filter, Projection | undefined, Record<string, unknown> | null][] = [
  [{}, undefined, fields],
  [{ target: 'example.com' }, undefined, fields],
  [{ target: 'other.org' }, undefined, null],
  [{ 'nested.a': { $gt: 1 } }, undefined, fields],
  [{ 'nested.b.c': 'deep', count: { $in: [1, 3] } }, undefined, fields],
  [{ issues: 'b' }, undefined, fields],
  [{ issues: { $size: 3 } }, undefined, null],
  [{ $or: [{ target: 'x' }, { count: 3 }] }, undefined, fields],
  [{ missing: { $exists: false } }, undefined, fields],
  [{ when: { $lt: new Date('2021-01-01') } }, undefined, fields],
  [{ '_lev.exitCode': 4 }, undefined, fields],
  [{ '_lev.exitCode': 0 }, undefined, null],
  [{}, { target: 1 }, { target: 'example.com' }],
  [{}, { target: 1, 'nested.b': 1 }, { target: 'example.com', nested: { b: { c: 'deep' } } }],
  [{}, { issues: 0, nested: 0, when: 0 }, { target: 'example.com', count: 3 }],
  [{}, { _id: 0, count: 1 }, { count: 3 }],
  [{}, { '_lev.exitCode': 1 }, { _lev: { exitCode: 4 } }],
  [{ count: 3 }, { target: true }, { target: 'example.com' }],
]

const stores = [
  ['embedded', () => 'embedded' as const],
  ['mongodb', () => ({ mongoUrl: inject('mongoUrl'), db: `levtest_${randomBytes(4).toString('hex')}` })],
] as const

describe.each(stores)('the %s store', (_, which) => {
  let env: ReturnType<typeof useStore>
  let doc: Document

  beforeAll(async () => {
    env = useStore(which())
    doc = await new Cr('levrt/busybox', 'test/store@1.0', { cmd: ['sh', '-c', 'exit 4'] })
    // Stand-in for lev.set (a later issue): fields merged into the run's document.
    await storeFromEnv().save(doc.coll.collectionName, doc.filters._id, fields)
  })
  afterAll(() => env.restore())

  it.each(cases)('get(%j, %j)', async (query, projection, expected) => {
    expect(await doc.get(query, projection)).toEqual(expected)
  })

  it('keeps bookkeeping out of get() but stores it with the document', async () => {
    const raw = await doc.coll.findOne({ _id: doc.filters._id })
    expect(raw).toMatchObject({
      _id: doc.filters._id,
      ...fields,
      _lev: { image: 'levrt/busybox', exitCode: 4 },
    })
    expect((raw?._lev as { startedAt: unknown }).startedAt).toBeInstanceOf(Date)
    expect(await doc.get({}, { _id: 1, target: 1 })).toEqual({ _id: doc.filters._id, target: 'example.com' })
  })

  it('merges later saves over earlier ones, field by field', async () => {
    const store = storeFromEnv()
    await store.save(doc.coll.collectionName, doc.filters._id, { count: 4, extra: [1] })
    expect(await doc.get({}, { count: 1, extra: 1, target: 1 })).toEqual({
      count: 4,
      extra: [1],
      target: 'example.com',
    })
    await store.save(doc.coll.collectionName, doc.filters._id, { count: 3, extra: null })
    expect(await doc.get({}, { count: 1, extra: 1 })).toEqual({ count: 3, extra: null })
  })

  it('refuses a document over 16 MiB with ResultTooLargeError, keeping it whole on disk', async () => {
    const err = await rejection(
      new Cr('levrt/node:20', 'test/big@1.0', {
        entry: remote((lev) => lev.set({ blob: 'x'.repeat(17 << 20) })),
      }),
    )
    expect(err).toBeInstanceOf(ResultTooLargeError)
    const { bytes, limit, path } = err as ResultTooLargeError
    expect(bytes).toBeGreaterThan(limit)
    expect((err as Error).message).toMatch(/not cut/)
    expect(JSON.parse(readFileSync(path, 'utf8')).fields.blob).toHaveLength(17 << 20)
  })

  it('finds the run among others of the collection, and only it', async () => {
    const other = await new Cr('levrt/busybox', 'test/store@1.0', { cmd: ['true'] })
    expect(other.coll.collectionName).toBe(doc.coll.collectionName)
    expect(await other.get()).toEqual({})
    expect(await doc.coll.countDocuments({})).toBeGreaterThanOrEqual(2)
    expect(await doc.coll.find({ target: 'example.com' }, { projection: { _id: 1 } }).toArray()).toEqual([
      { _id: doc.filters._id },
    ])
  })
})

// doc.coll on both stores: one table of finds, sorts, limits, skips, counts, run before and after
// the fields are indexed (the embedded store then answers through SQL indexes: same answers).
const TABLE = 'test/table@1.0'
const id = (n: number) => n.toString(16).padStart(24, '0')
const rows: Record<number, Record<string, unknown>> = {
  1: {
    host: 'alpha',
    ports: [22, 80],
    service: 'http',
    score: 7.5,
    seen: new Date('2024-01-01T00:00:00Z'),
    svc: [
      { name: 'ssh', port: 22 },
      { name: 'http', port: 80 },
    ],
    meta: { os: 'linux', score: 3 },
    tags: ['a', 'b'],
  },
  2: {
    host: 'bravo',
    ports: [443],
    service: 'https',
    score: 9,
    seen: new Date('2024-02-01T00:00:00Z'),
    svc: [{ name: 'https', port: 443 }],
    meta: { os: 'windows', score: 5 },
    open: true,
  },
  3: {
    host: 'charlie',
    ports: [],
    service: 'none',
    score: 1,
    seen: new Date('2023-12-01T00:00:00Z'),
    meta: { os: 'linux' },
  },
  4: {
    host: 'delta',
    ports: 8080,
    service: 'http',
    score: -2,
    seen: new Date('2024-03-01T00:00:00Z'),
    meta: { os: 'bsd', score: 7 },
    open: false,
  },
  5: {
    host: 'echo',
    ports: [80, 443, 8443],
    service: 'https',
    seen: new Date('2024-04-01T00:00:00Z'),
    meta: { os: 'linux', score: 4 },
    tags: ['b'],
  },
  6: {
    host: 'Foxtrot',
    ports: ['80'],
    service: null,
    score: 3.25,
    seen: new Date('2024-05-01T00:00:00Z'),
    meta: [{ os: 'linux', score: 9 }],
  },
}

// [filter, options, the documents found, in order when sorted]
const finds: [Filter, FindOptions, number[]][] = [
  [{ host: 'bravo' }, {}, [2]],
  [{ ports: 80 }, {}, [1, 5]],
  [{ ports: 8080 }, {}, [4]],
  [{ ports: { $gt: 400, $lt: 500 } }, {}, [2, 5]],
  [{ ports: { $in: [22, 8443] } }, {}, [1, 5]],
  [{ 'svc.name': 'http' }, {}, [1]],
  [{ 'svc.port': { $gte: 443 } }, {}, [2]],
  [{ 'meta.os': 'linux' }, {}, [1, 3, 5, 6]],
  [{ 'meta.score': { $gt: 4 } }, {}, [2, 4, 6]],
  [{ 'meta.score': 9 }, {}, [6]],
  [{ score: { $gte: 3, $lt: 9 } }, {}, [1, 6]],
  [{ score: { $gt: 'a' } }, {}, []],
  [{ seen: { $lt: new Date('2024-01-15T00:00:00Z') } }, {}, [1, 3]],
  [{ open: true }, {}, [2]],
  [{ open: { $exists: false } }, {}, [1, 3, 5, 6]],
  [{ score: { $exists: false } }, {}, [5]],
  [{ service: null }, {}, [6]],
  [{ host: { $regex: '^[a-c]' } }, {}, [1, 2, 3]],
  [{ host: { $in: ['alpha', 'delta', 'zulu'] } }, {}, [1, 4]],
  [{ host: { $gt: 'charlie' } }, {}, [4, 5]],
  [{ _id: { $in: [id(1), id(3)] } }, {}, [1, 3]],
  [{ $or: [{ host: 'alpha' }, { ports: 443 }] }, {}, [1, 2, 5]],
  [{ $or: [{ service: 'http' }, { 'meta.score': { $lt: 4 } }] }, {}, [1, 4]],
  [{ tags: 'b', service: 'https' }, {}, [5]],
  [{}, { sort: { host: 1 } }, [6, 1, 2, 3, 4, 5]],
  [{}, { sort: { score: -1 }, limit: 3 }, [2, 1, 6]],
  [{}, { sort: { score: 1 } }, [5, 4, 3, 6, 1, 2]],
  [{ service: 'https' }, { sort: { _id: -1 } }, [5, 2]],
  [{}, { sort: { seen: -1 }, skip: 1, limit: 2 }, [5, 4]],
  [{}, { sort: { _id: 1 }, skip: 4 }, [5, 6]],
  [{ host: { $in: ['alpha', 'bravo', 'delta', 'echo'] } }, { sort: { ports: 1 } }, [1, 5, 2, 4]],
  // Not Foxtrot: FerretDB sorts a dotted path through an array (meta: [{ score: 9 }]) as missing.
  [
    { 'meta.score': { $exists: true }, host: { $ne: 'Foxtrot' } },
    { sort: { 'meta.score': 1 } },
    [1, 5, 2, 4],
  ],
  [{ service: { $in: ['http', 'https'] } }, { sort: { service: 1, score: -1 } }, [1, 4, 2, 5]],
]

const counts: [Filter, number][] = [
  [{}, 6],
  [{ ports: 80 }, 2],
  [{ host: { $regex: 'o' } }, 3],
  [{ 'meta.os': 'linux' }, 4],
  [{ host: 'alpha', service: 'http' }, 1],
  [{ _id: { $gte: id(5) } }, 2],
]

describe.each(stores)('doc.coll on the %s store', (_, which) => {
  let env: ReturnType<typeof useStore>
  let coll: ResultCollection
  const ids = (docs: StoredDoc[]) => docs.map((d) => parseInt(String(d._id), 16))

  beforeAll(async () => {
    env = useStore(which())
    const store = storeFromEnv()
    for (const [n, fields] of Object.entries(rows)) await store.save(TABLE, id(Number(n)), fields)
    coll = store.collection(TABLE)
  })
  afterAll(() => env.restore())

  const table = (when: string) => {
    it.each(finds)(`${when}: find(%j, %j)`, async (filter, options, expected) => {
      const found = ids(await coll.find(filter, options).toArray())
      expect(options.sort ? found : found.sort((a, b) => a - b)).toEqual(expected)
    })
    it.each(counts)(`${when}: countDocuments(%j)`, async (filter, expected) => {
      expect(await coll.countDocuments(filter)).toBe(expected)
    })
    it(`${when}: findOne with sort, projections`, async () => {
      expect(
        await coll.findOne({ service: 'http' }, { sort: { score: 1 }, projection: { host: 1, _id: 0 } }),
      ).toEqual({ host: 'delta' })
      expect(await coll.findOne({ host: 'zulu' })).toBeNull()
      expect(
        await coll.findOne({ host: 'alpha' }, { projection: { ports: 1, 'meta.os': 1, _id: 0 } }),
      ).toEqual({ ports: [22, 80], meta: { os: 'linux' } })
      expect(
        await coll
          .find({ service: 'https' }, { projection: { host: 1, _id: 0 }, sort: { host: -1 } })
          .toArray(),
      ).toEqual([{ host: 'echo' }, { host: 'bravo' }])
      const [dated] = await coll.find({ host: 'delta' }, { projection: { seen: 1 } }).toArray()
      expect(dated).toEqual({ _id: id(4), seen: new Date('2024-03-01T00:00:00Z') })
      expect(dated.seen).toBeInstanceOf(Date)
    })
  }

  table('unindexed')

  it('createIndex makes indexes, named as MongoDB names them, and again is a no-op', async () => {
    expect(await coll.createIndex({ host: 1 })).toBe('host_1')
    expect(await coll.createIndex({ host: 1 })).toBe('host_1')
    expect(await coll.createIndex({ ports: 1 })).toBe('ports_1')
    expect(await coll.createIndex({ 'meta.score': -1 })).toBe('meta.score_-1')
    expect(await coll.createIndex({ service: 1, score: -1 })).toBe('service_1_score_-1')
    expect(await coll.createIndex({ 'svc.name': 1 }, { name: 'svc' })).toBe('svc')
    expect(await coll.createIndex({ score: 1 })).toBe('score_1')
    for (const path of ['open', 'tags', 'meta.os', 'svc.port', 'seen']) await coll.createIndex({ [path]: 1 })
  })

  table('indexed')
})
