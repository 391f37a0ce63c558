import { MongoClient, type Db } from 'mongodb'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { Filter, ResultCollection, StoredDoc } from '../src/store'
import { EmbeddedStore } from '../src/store/embedded'
import { levrtObjects } from './support/engine'
import { DEVIATIONS, type Deviation } from './support/test-server-deviations'
import type { Case } from './support/mql-cases'
import { CASES } from './support/mql-null-cases'

/**
 * MongoDB's documented answers, case by case (the cases of issue 14, MongoDB's own null and
 * array semantics, and one case per listed deviation of the test server): on the embedded
 * store, unindexed and indexed on every path the case names, and on the test server unless the
 * case is one of its listed deviations.
 */

const homes: string[] = []
const stores: EmbeddedStore[] = []
let client: MongoClient
let db: Db
let before: Awaited<ReturnType<typeof levrtObjects>>

beforeAll(async () => {
  before = await levrtObjects()
  client = await new MongoClient(inject('mongoUrl')).connect()
  db = client.db(`levsem_${randomBytes(4).toString('hex')}`)
})
afterAll(async () => {
  await db?.dropDatabase().catch(() => undefined)
  await client?.close()
  for (const s of stores) s.close()
  for (const h of homes) rmSync(h, { recursive: true, force: true })
  expect(await levrtObjects()).toEqual(before)
})

function embedded(): EmbeddedStore {
  const home = mkdtempSync(join(tmpdir(), 'levrt-sem-'))
  homes.push(home)
  const store = new EmbeddedStore(home)
  stores.push(store)
  return store
}

/** The field paths a case names (filter, sort, projection): the indexed store indexes each. */
function paths(c: Case): string[] {
  const found = new Set<string>()
  const walk = (f: Filter) => {
    for (const [k, v] of Object.entries(f)) {
      if (k === '$and' || k === '$or' || k === '$nor') for (const sub of v as Filter[]) walk(sub)
      else if (!k.startsWith('$')) found.add(k)
    }
  }
  walk(c.filter)
  for (const k of Object.keys(c.options?.sort ?? {})) found.add(k)
  return [...found].filter((p) => p !== '_id')
}

const answer = async (coll: ResultCollection, c: Case) => {
  const found = await coll.find(c.filter, c.options).toArray()
  const count = await coll.countDocuments(c.filter)
  return { found: c.expected.docs ? found : found.map((d) => d._id), count }
}
const expected = (c: Case) => {
  const found = c.expected.docs ?? c.expected.ids
  const count = c.expected.count ?? (c.options?.skip || c.options?.limit ? undefined : found.length)
  return count === undefined ? { found, count: expect.any(Number) as unknown } : { found, count }
}

describe.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', (_, c, i) => {
  const name = `sem/c${i}@1.0`
  const docs = c.docs.map((d, j): StoredDoc => ({ _id: d._id ?? String(j), ...d }))

  it('the embedded store gives MongoDB’s answer, indexed or not', async () => {
    const plain = embedded()
    const indexed = embedded()
    for (const d of docs) {
      await plain.save(name, d._id as string, d)
      await indexed.save(name, d._id as string, d)
    }
    for (const p of paths(c)) await indexed.collection(name).createIndex({ [p]: 1 })
    expect(await answer(plain.collection(name), c)).toEqual(expected(c))
    expect(await answer(indexed.collection(name), c)).toEqual(expected(c))
  })

  // A listed deviation is checked to still be one, so the list stays true as the test server changes.
  it(
    c.deviation ? `the test server deviates: ${DEVIATIONS[c.deviation]}` : 'the test server gives it too',
    async () => {
      const coll = db.collection<{ _id: string }>(name)
      const inserted = coll.insertMany(docs as { _id: string }[])
      if (c.deviation === 'nestedArrays')
        return expect(inserted).rejects.toThrow(/nested arrays are not supported/)
      if (c.deviation === 'quotedNames') return expect(inserted).rejects.toThrow(/malformed JSON/)
      await inserted
      const got = answer(coll as unknown as ResultCollection, c)
      if (c.deviation === 'notImplemented') await expect(got).rejects.toMatchObject({ code: 238 })
      else if (c.deviation) expect(await got).not.toEqual(expected(c))
      else expect(await got).toEqual(expected(c))
    },
  )
})

it('has a documented case for every listed deviation of the test server', () => {
  const covered = new Set(CASES.map((c) => c.deviation).filter((d): d is Deviation => d !== undefined))
  expect([...covered].sort()).toEqual(Object.keys(DEVIATIONS).sort())
})
