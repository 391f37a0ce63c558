import { ObjectId } from 'bson'
import { MongoClient, type Db } from 'mongodb'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { QueryError, type Filter, type FindOptions, type StoredDoc } from '../src/index'
import { EmbeddedStore } from '../src/store/embedded'
import { levrtObjects } from './support/engine'

/**
 * The edges of the embedded store's query language: what it refuses (QueryError, before any
 * read), writes that must never fail with indexes on every path, and `levrt find` with extended
 * JSON on both stores.
 */

const ROOT = resolve(__dirname, '..')
const TSX = join(ROOT, 'node_modules/.bin/tsx')
const run = promisify(execFile)
const homes: string[] = []
let before: Awaited<ReturnType<typeof levrtObjects>>
beforeAll(async () => {
  before = await levrtObjects()
})
afterAll(async () => {
  for (const h of homes) rmSync(h, { recursive: true, force: true })
  expect(await levrtObjects()).toEqual(before)
})

function home(): string {
  const h = mkdtempSync(join(tmpdir(), 'levrt-lang-'))
  homes.push(h)
  return h
}

describe('queries outside the supported language', () => {
  const refused: [Filter, FindOptions, RegExp][] = [
    [{ $where: 'this.a > 1' }, {}, /does not support \$where/],
    [{ $expr: { $gt: ['$a', 1] } }, {}, /does not support \$expr/],
    [{ $text: { $search: 'x' } }, {}, /does not support \$text/],
    [{ a: { $near: [0, 0] } }, {}, /does not support the operator \$near/],
    [{ a: { $bitsAllSet: 1 } }, {}, /does not support the operator \$bitsAllSet/],
    [{ a: { $gt: 1, b: 2 } }, {}, /mixes operators and the field "b"/],
    [{ a: { $size: -1 } }, {}, /\$size takes a whole number/],
    [{ a: { $mod: [0, 1] } }, {}, /\$mod cannot divide by 0/],
    [{ a: { $in: 5 } }, {}, /\$in takes an array/],
    [{ a: { $regex: 'x', $options: 'x' } }, {}, /regex option "x"/],
    [{ a: { $regex: '(' } }, {}, /invalid regular expression/],
    [{ a: { $options: 'i' } }, {}, /\$options needs a \$regex/],
    [{ a: { $ne: /x/ } }, {}, /\$ne takes no regular expression/],
    [{ a: { $type: 'javascript' } }, {}, /does not support \$type "javascript"/],
    [{ a: { $not: {} } }, {}, /\$not takes/],
    [{ $or: [] }, {}, /\$or takes a non-empty array/],
    [{ 'a..b': 1 }, {}, /not a field path/],
    [{}, { projection: { a: 1, b: 0 } }, /cannot mix inclusion and exclusion/],
    [{}, { projection: { a: { $elemMatch: { b: 1 } } } }, /projections of 1, 0 and \{ \$slice \} only/],
    [{}, { projection: { a: { $meta: 'textScore' } } }, /projections of 1, 0 and \{ \$slice \} only/],
    [{}, { projection: { 'a.$': 1 } }, /cannot project "a.\$"/],
    [{}, { projection: { a: 1, 'a.b': 1 } }, /paths collide/],
    [{}, { projection: { a: { $slice: [1, 0] } } }, /\$slice takes/],
    [{}, { sort: { a: 2 as 1 } }, /sorts by 1 or -1/],
    [{}, { sort: { $natural: 1 } }, /cannot sort by "\$natural"/],
    [{}, { skip: -1 }, /skip takes a whole number ≥ 0/],
    [{}, { limit: 1.5 }, /limit takes a whole number/],
    [{}, { hint: { a: 1 } } as FindOptions, /does not support the find option hint/],
  ]
  let store: EmbeddedStore
  beforeAll(async () => {
    store = new EmbeddedStore(home())
    await store.save('lang/refused@1.0', '1', { a: 1 })
  })
  afterAll(() => store.close())

  it.each(refused)('refuses find(%j, %j) with QueryError', async (filter, options, message) => {
    const coll = store.collection('lang/refused@1.0')
    const err = await coll
      .find(filter, options)
      .toArray()
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(err).toBeInstanceOf(QueryError)
    expect((err as QueryError).code).toBe('LEV_QUERY')
    expect((err as Error).message).toMatch(message)
    // Refused before any read: a collection that does not exist refuses it the same way.
    await expect(store.collection('lang/none@1.0').find(filter, options).toArray()).rejects.toThrow(
      QueryError,
    )
    if (Object.keys(options).length === 0)
      await expect(coll.countDocuments(filter)).rejects.toThrow(QueryError)
  })
})

describe('writes with an index on every path', () => {
  const DATE = new Date('2024-01-01T00:00:00Z')
  const fields = (n: number): StoredDoc => ({
    ports: [22, 22, 80, n],
    svc: [{ port: 22 }, { port: 22 }, { name: 'ssh', port: [22, 22] }],
    seen: [DATE, DATE, new Date(n)],
    flags: [true, true, null, null],
    os: { name: 'linux', tags: ['a', 'a'] },
    mixed: [1, '1', { x: 1 }, [1, 1], [1, 1]],
  })
  const paths = [
    'ports',
    'svc',
    'svc.port',
    'svc.name',
    'seen',
    'flags',
    'os',
    'os.tags',
    'os.name',
    'mixed',
    'mixed.x',
  ]

  it('inserts, merges and re-saves documents holding repeated values, sub-documents and Dates', async () => {
    const plain = new EmbeddedStore(home())
    const indexed = new EmbeddedStore(home())
    const run = {
      image: 'x',
      containerId: 'c',
      exitCode: 0,
      startedAt: DATE,
      endedAt: DATE,
      oomKilled: false,
      key: 'k',
      ok: true,
    }
    try {
      for (const p of paths) await indexed.collection('lang/writes@1.0').createIndex({ [p]: 1 })
      for (const store of [plain, indexed]) {
        for (let n = 0; n < 5; n++) await store.save('lang/writes@1.0', String(n), fields(n), run) // insert
        const save = (n: number, f: StoredDoc, r?: typeof run) =>
          store.save('lang/writes@1.0', String(n), f, r)
        for (let n = 0; n < 5; n++) await save(n, { ports: [n, n, 443] }) // merge
        for (let n = 0; n < 5; n++) await save(n, fields(n + 1), run) // re-save
        await store.save('lang/writes@1.0', '2', fields(2)) // and back
      }
      const filters: Filter[] = [
        { ports: 22 },
        { ports: 3 },
        { 'svc.port': 22 },
        { seen: DATE },
        { flags: null },
        { 'os.tags': 'a' },
        { mixed: [1, 1] },
        { 'mixed.x': 1 },
        { ports: { $gt: 2, $lt: 5 } },
      ]
      for (const f of filters) {
        const [p, i] = await Promise.all(
          [plain, indexed].map((s) =>
            s
              .collection('lang/writes@1.0')
              .find(f, { projection: { _id: 1 } })
              .toArray(),
          ),
        )
        expect([f, i]).toEqual([f, p])
        expect(await indexed.collection('lang/writes@1.0').countDocuments(f)).toBe(p.length)
      }
      expect(await indexed.collection('lang/writes@1.0').countDocuments({ ports: 22 })).toBe(5)
    } finally {
      plain.close()
      indexed.close()
    }
  })
})

describe('levrt find with extended JSON, on both stores', () => {
  const OID = new ObjectId('0123456789abcdef01234567')
  const docs: StoredDoc[] = [
    {
      _id: '0',
      host: 'mail.example',
      seen: new Date('2024-05-01T00:00:00Z'),
      files: { 'C:\\Windows': 1 },
      owner: OID,
    },
    { _id: '1', host: 'smtp.example', seen: new Date('2023-05-01T00:00:00Z'), files: { 'C:Windows': 1 } },
    { _id: '2', host: 'MAIL2', seen: 'yesterday' },
  ]
  const queries: [string, string[]][] = [
    ['{"host": {"$regex": "^mail"}}', ['0']],
    ['{"host": {"$regex": "^mail", "$options": "i"}}', ['0', '2']],
    ['{"host": {"$not": {"$regex": "^mail"}}}', ['1', '2']],
    ['{"host": {"$in": [{"$regex": "^smtp"}, "MAIL2"]}}', ['1', '2']],
    ['{"seen": {"$gte": {"$date": "2024-01-01T00:00:00Z"}}}', ['0']],
    ['{"owner": {"$oid": "0123456789abcdef01234567"}}', ['0']],
    ['{"files.C:\\\\Windows": 1}', ['0']],
  ]
  let client: MongoClient
  let db: Db
  const env: Record<'embedded' | 'mongodb', NodeJS.ProcessEnv> = { embedded: {}, mongodb: {} }
  beforeAll(async () => {
    const h = home()
    const store = new EmbeddedStore(h)
    for (const d of docs) await store.save('lang/find@1.0', d._id as string, d)
    store.close()
    client = await new MongoClient(inject('mongoUrl')).connect()
    db = client.db(`levlang_${randomBytes(4).toString('hex')}`)
    await db.collection<{ _id: string }>('lang/find@1.0').insertMany(docs as { _id: string }[])
    const base = { PATH: process.env.PATH, HOME: process.env.HOME }
    env.embedded = { ...base, LEV_HOME: h }
    env.mongodb = { ...base, LEV_HOME: h, LEV_MONGO_URL: inject('mongoUrl'), LEV_MONGO_DB: db.databaseName }
  })
  afterAll(async () => {
    await db?.dropDatabase().catch(() => undefined)
    await client?.close()
  })

  const levrt = (which: 'embedded' | 'mongodb', ...args: string[]) =>
    run(TSX, ['src/cli/levrt.ts', 'find', 'lang/find@1.0', ...args], { cwd: ROOT, env: env[which] }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({
        code: e.code,
        stdout: e.stdout,
        stderr: e.stderr,
      }),
    )
  const ids = (stdout: string) =>
    stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { _id: string })._id)

  it.each(queries)(
    'levrt find %s',
    async (filter, expected) => {
      for (const which of ['embedded', 'mongodb'] as const) {
        const r = await levrt(which, filter, '--sort', '{"_id": 1}')
        expect([which, r.code, r.stderr, ids(r.stdout)]).toEqual([which, 0, '', expected])
      }
    },
    60_000,
  )

  it('refuses a query outside the language with exit code 2 and the reason', async () => {
    const r = await levrt('embedded', '{"$where": "this.host"}')
    expect(r).toMatchObject({ code: 2, stdout: '' })
    expect(r.stderr).toMatch(/^levrt find: the embedded store does not support \$where \[LEV_QUERY\]/)
  }, 60_000)
})
