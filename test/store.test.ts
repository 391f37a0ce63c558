import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { Cr, remote, ResultTooLargeError, type Document, type Filter, type Projection } from '../src/index'
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
    expect(raw).toMatchObject({ _id: doc.filters._id, ...fields, _lev: { image: 'levrt/busybox', exitCode: 4 } })
    expect((raw?._lev as { startedAt: unknown }).startedAt).toBeInstanceOf(Date)
    expect(await doc.get({}, { _id: 1, target: 1 })).toEqual({ _id: doc.filters._id, target: 'example.com' })
  })

  it('merges later saves over earlier ones, field by field', async () => {
    const store = storeFromEnv()
    await store.save(doc.coll.collectionName, doc.filters._id, { count: 4, extra: [1] })
    expect(await doc.get({}, { count: 1, extra: 1, target: 1 })).toEqual({ count: 4, extra: [1], target: 'example.com' })
    await store.save(doc.coll.collectionName, doc.filters._id, { count: 3, extra: null })
    expect(await doc.get({}, { count: 1, extra: 1 })).toEqual({ count: 3, extra: null })
  })

  it('refuses a document over 16 MiB with ResultTooLargeError, keeping it whole on disk', async () => {
    const err = await rejection(new Cr('levrt/node:20', 'test/big@1.0', { entry: remote((lev) => lev.set({ blob: 'x'.repeat(17 << 20) })) }))
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
    expect(await doc.coll.find({ target: 'example.com' }, { projection: { _id: 1 } }).toArray()).toEqual([{ _id: doc.filters._id }])
  })
})
