import Sqlite from 'better-sqlite3'
import { EJSON } from 'bson'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { StoreError } from '../src/index'
import { EmbeddedStore } from '../src/store/embedded'
import { compileFilter } from '../src/store/mql/filter'
import type { EmbeddedCollection } from '../src/store/sqlite/collection'
import { rejection } from './support/async'
import { snapshot, writeLegacy } from './fixtures/legacy-layout'

/**
 * The embedded store against its real database file (LEV_HOME/store.db): scale, several
 * processes at once, the import of the old file-per-document layout, index use, the size limit.
 * test/store.test.ts runs the query table shared with MongoDB.
 */

const ROOT = resolve(__dirname, '..')
const run = promisify(execFile)

let home: string
let store: EmbeddedStore
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'levrt-embedded-'))
  store = new EmbeddedStore(home)
})
afterEach(() => {
  store.close()
  rmSync(home, { recursive: true, force: true })
})

const hex = (n: number) => n.toString(16).padStart(24, '0')
const coll = (name: string) => store.collection(name) as EmbeddedCollection
/** The database file, opened beside the store, to look at what it holds. */
const inspect = <T>(fn: (db: Sqlite.Database) => T): T => {
  const db = new Sqlite(join(home, 'store.db'), { readonly: true })
  try {
    return fn(db)
  } finally {
    db.close()
  }
}

describe('scale', () => {
  const N = 100_000
  const host = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
  const scan = (i: number) => ({
    host: host(i),
    ports: i % 97 === 0 ? [22, 443] : [22, 80],
    service: ['http', 'https', 'ssh'][i % 3],
    seen: new Date(1.7e12 + i),
  })

  it('holds 100 000 runs in one collection and answers indexed and filtered queries (the file store failed with EMFILE)', async () => {
    const c = coll('scale/scan@1.0')
    await c.createIndex({ host: 1 }) // before the documents: kept by each save
    const t0 = performance.now()
    for (let i = 0; i < N; i++) await store.save('scale/scan@1.0', hex(i), scan(i))
    const insertMs = performance.now() - t0
    expect(insertMs).toBeLessThan(120_000)
    await c.createIndex({ ports: 1 }) // after: built from the documents there
    await c.createIndex({ service: 1 })

    expect(await c.countDocuments({})).toBe(N)
    const t1 = performance.now()
    const one = await c.findOne({ host: host(77_777) })
    expect(performance.now() - t1).toBeLessThan(50)
    expect(one).toEqual({ _id: hex(77_777), ...scan(77_777) })
    expect((await c.explain({ host: host(77_777) })).join('\n')).toMatch(
      /USING INDEX i:scale\/scan@1\.0:host_1/,
    )

    const found = await c.find({ ports: 443, service: 'http' }, { projection: { _id: 1 } }).toArray()
    const expected = Array.from({ length: N }, (_, i) => i).filter((i) => i % 97 === 0 && i % 3 === 0)
    expect(found.map((d) => parseInt(String(d._id), 16))).toEqual(expected)
    expect(found.length).toBeGreaterThan(300)

    // Not pushed down ($regex): every document is read, and the event loop still gets turns.
    let ticks = 0
    const timer = setInterval(() => ticks++, 5)
    try {
      expect(await c.countDocuments({ host: { $regex: '\\.7$' } })).toBe(Math.floor((N - 1 - 7) / 256) + 1)
    } finally {
      clearInterval(timer)
    }
    expect(ticks).toBeGreaterThan(0)
  }, 240_000)
})

describe('several processes', () => {
  const WORKERS = 4
  const SAVES = 300
  const worker = (w: number) =>
    run(
      process.execPath,
      [
        '-r',
        join(ROOT, 'node_modules/ts-node/register/transpile-only.js'),
        'test/fixtures/store-worker.ts',
        String(w),
        String(SAVES),
        String(WORKERS),
      ],
      {
        cwd: ROOT,
        env: { ...process.env, LEV_HOME: home },
      },
    )

  it('write and read one LEV_HOME at once: nothing lost, nothing torn, the old layout imported once', async () => {
    const legacy = writeLegacy(home, { 'mp/legacy@1.0': 25 })
    const outputs = await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)))
    const reports = outputs.map(
      (o) => JSON.parse(o.stdout.trim()) as { worker: number; imported: { documents: number } | null },
    )
    expect(reports.filter((r) => r.imported !== null).map((r) => r.imported)).toEqual([
      { collections: 1, documents: 25, skipped: 0 },
    ])

    const own = coll('mp/own@1.0')
    expect(await own.countDocuments({})).toBe(WORKERS * SAVES)
    for (let w = 0; w < WORKERS; w++) {
      const docs = await own.find({ w }, { sort: { i: 1 } }).toArray()
      expect(docs.map((d) => d.i)).toEqual(Array.from({ length: SAVES }, (_, i) => i))
      for (const d of docs)
        expect([(d.body as string).length, d.at]).toEqual([
          50 + ((d.i as number) % 200),
          new Date(d.i as number),
        ])
    }
    // Every worker merged its fields into the same 8 documents: every field is there.
    const shared = await coll('mp/shared@1.0').find({}).toArray()
    expect(shared).toHaveLength(8)
    const fields = shared.flatMap((d) => Object.keys(d).filter((k) => k !== '_id'))
    expect(fields).toHaveLength(WORKERS * SAVES)
    expect(new Set(fields).size).toBe(WORKERS * SAVES)
    // The index all four asked for at once was made once.
    expect(
      inspect((db) => db.prepare("SELECT count(*) AS n FROM lev_indexes WHERE coll = 'mp/own@1.0'").get()),
    ).toEqual({ n: 1 })
    expect(await coll('mp/legacy@1.0').countDocuments({})).toBe(25)
    expect(snapshot(home)).toEqual(legacy.files)
    expect(inspect((db) => db.pragma('journal_mode', { simple: true }))).toBe('wal')
  }, 120_000)
})

describe('the old layout (LEV_HOME/store/<collection>/<id>.json)', () => {
  it('is imported once on first open, its files left as they are', async () => {
    const legacy = writeLegacy(home, { 'talentsec/nmap@1.0': 3, 'ns|talentsec/nmap@1.0': 2 })
    const folder = join(home, 'store', encodeURIComponent('talentsec/nmap@1.0'))
    writeFileSync(join(folder, `${hex(99)}.json`), '{"_id": "half') // a file cut short
    writeFileSync(join(folder, `${hex(98)}.json.123.tmp`), '{}') // the old store's temp file
    const files = snapshot(home)

    const docs = await coll('talentsec/nmap@1.0')
      .find({}, { sort: { _id: 1 } })
      .toArray()
    expect(docs).toEqual(legacy.docs['talentsec/nmap@1.0'])
    expect(docs[0].when).toBeInstanceOf(Date)
    expect(await coll('ns|talentsec/nmap@1.0').findOne({ n: 1 })).toEqual(
      legacy.docs['ns|talentsec/nmap@1.0'][1],
    )
    expect(store.imported).toEqual({ collections: 2, documents: 5, skipped: 1 })
    expect(snapshot(home)).toEqual(files)

    // Imported documents are documents like any: merges go into them.
    await store.save('talentsec/nmap@1.0', hex(0), { extra: true })
    expect(
      await coll('talentsec/nmap@1.0').findOne({ _id: hex(0) }, { projection: { extra: 1, n: 1, _id: 0 } }),
    ).toEqual({ n: 0, extra: true })

    // Opened again (by this or another process): nothing imported twice, nothing imported late.
    store.close()
    writeFileSync(
      join(folder, `${hex(50)}.json`),
      EJSON.stringify({ _id: hex(50), n: 50 }, { relaxed: true }),
    )
    store = new EmbeddedStore(home)
    expect(await coll('talentsec/nmap@1.0').countDocuments({})).toBe(3)
    expect(store.imported).toBeUndefined()
  })
})

describe('indexes', () => {
  it('createIndex is idempotent, and a query on an indexed path searches the index instead of reading the collection', async () => {
    const c = coll('ix/probe@1.0')
    for (let i = 0; i < 50; i++) {
      const run = {
        image: 'img',
        containerId: 'c',
        exitCode: 0,
        startedAt: new Date(),
        endedAt: new Date(),
        oomKilled: false,
        key: `k${i % 5}`,
        ok: i % 2 === 0,
      }
      await store.save('ix/probe@1.0', hex(i), { host: `h${i}`, ports: [22, 1000 + i] }, run)
    }
    expect((await c.explain({ host: 'h7' })).join('\n')).toMatch(/^SCAN /m)

    const objects = () =>
      inspect(
        (db) =>
          db
            .prepare("SELECT name FROM sqlite_master WHERE name LIKE '_:ix/probe@1.0:%' ORDER BY name")
            .pluck()
            .all() as string[],
      )
    expect(await c.createIndex({ host: 1 })).toBe('host_1')
    const once = objects()
    expect(await c.createIndex({ host: 1 })).toBe('host_1')
    expect(await new EmbeddedStore(home).collection('ix/probe@1.0').createIndex({ host: 1 })).toBe('host_1') // another handle, cold cache
    expect(objects()).toEqual(once)
    expect(await c.createIndex({ host: 1 }, { name: 'other' })).toBe('host_1') // the same keys: the index there
    await expect(c.createIndex({ ports: 1 }, { name: 'host_1' })).rejects.toThrow(StoreError)
    await expect(c.createIndex({ host: 1 }, { unique: true } as never)).rejects.toThrow(/unique/)
    expect(await c.createIndex({ _id: 1 })).toBe('_id_')

    expect((await c.explain({ host: 'h7' })).join('\n')).toMatch(
      /SEARCH c:ix\/probe@1\.0 USING INDEX i:ix\/probe@1\.0:host_1 \(<expr>=\?\)/,
    )
    expect((await c.explain({ _id: hex(3) })).join('\n')).toMatch(/USING INDEX sqlite_autoindex/)

    // History's lookup: the newest run of a key, straight from the index, no sort.
    await c.createIndex({ '_lev.key': 1 })
    const latest = await c.explain({ '_lev.key': 'k3' }, { sort: { _id: -1 }, limit: 1 })
    expect(latest.join('\n')).toMatch(/USING INDEX i:ix\/probe@1\.0:_lev\.key_1 \(<expr>=\?\)/)
    expect(latest.join('\n')).not.toMatch(/TEMP B-TREE/)
    expect(
      await c.find({ '_lev.key': 'k3' }, { sort: { _id: -1 }, limit: 1, projection: { _id: 1 } }).toArray(),
    ).toEqual([{ _id: hex(48) }])
    expect(
      await c
        .find(
          { '_lev.key': 'k3', '_lev.ok': true, _id: { $lt: hex(48) } },
          { sort: { _id: -1 }, limit: 1, projection: { _id: 1 } },
        )
        .toArray(),
    ).toEqual([{ _id: hex(38) }])

    // An array field: its elements are indexed (the multikey table), so `{ ports: 1007 }` finds [22, 1007].
    await c.createIndex({ ports: 1 })
    expect((await c.explain({ ports: 1007 })).join('\n')).toMatch(
      /SEARCH m:ix\/probe@1\.0:ports USING PRIMARY KEY \(v=\?\)/,
    )
    expect(await c.find({ ports: 1007 }, { projection: { host: 1, _id: 0 } }).toArray()).toEqual([
      { host: 'h7' },
    ])
    expect(await c.find({ ports: { $gte: 1047 } }, { projection: { host: 1, _id: 0 } }).toArray()).toEqual([
      { host: 'h47' },
      { host: 'h48' },
      { host: 'h49' },
    ])
    // A merge that replaces the array: its old elements leave the multikey table, the new ones enter.
    await store.save('ix/probe@1.0', hex(7), { ports: [5, 6] })
    expect(await c.find({ ports: 1007 }).toArray()).toEqual([])
    expect(await c.find({ ports: 6 }, { projection: { host: 1, _id: 0 } }).toArray()).toEqual([
      { host: 'h7' },
    ])
    const elements = inspect((db) =>
      db
        .prepare(
          `SELECT v FROM "m:ix/probe@1.0:ports" WHERE rid = (SELECT rid FROM "c:ix/probe@1.0" WHERE id = ?) ORDER BY v`,
        )
        .pluck()
        .all(hex(7)),
    )
    expect(elements).toEqual([5, 6])
  })

  it('sorts in SQL while an indexed path holds plain values, and keeps MongoDB order once it holds an array', async () => {
    const c = coll('ix/sort@1.0')
    await c.createIndex({ score: 1 })
    for (const [i, score] of [5, 3, 9, 1].entries()) await store.save('ix/sort@1.0', hex(i), { score })
    expect((await c.explain({}, { sort: { score: 1 } })).join('\n')).not.toMatch(/TEMP B-TREE/)
    const scores = async () => (await c.find({}, { sort: { score: 1 } }).toArray()).map((d) => d.score)
    expect(await scores()).toEqual([1, 3, 5, 9])
    await store.save('ix/sort@1.0', hex(9), { score: [4, 2] }) // ascending: sorted by its smallest element
    expect(await scores()).toEqual([1, [4, 2], 3, 5, 9])
    expect(await c.find({ score: { $lt: 3 } }, { sort: { score: -1 } }).toArray()).toEqual([
      { _id: hex(9), score: [4, 2] },
      { _id: hex(3), score: 1 },
    ])
  })
})

describe('the SQL prefilter', () => {
  it('never drops a match: random documents and filters answer as the matcher over every document, indexed or not', async () => {
    let seed = 42
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n
    const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]
    const scalars = [0, 1, 2, 2.5, -3, 443, 2 ** 60, 'a', 'b', 'B', '', 'é', true, false, null]
    const value = (depth = 0): unknown => {
      switch (rnd(depth > 1 ? 6 : 9)) {
        case 0:
          return undefined // missing
        case 1:
          return new Date(rnd(3) * 1000)
        case 2:
          return pick([Infinity, -Infinity, NaN])
        case 6:
          return Array.from({ length: rnd(4) }, () => value(depth + 1))
        case 7:
          return { x: value(depth + 1), y: value(depth + 1) }
        case 8:
          return [{ x: value(depth + 1) }, { x: value(depth + 1) }]
        default:
          return pick(scalars)
      }
    }
    const docs = Array.from({ length: 300 }, (_, i) => {
      const d: Record<string, unknown> = { _id: hex(i) }
      for (const k of ['a', 'b', 'c']) if ((d[k] = value()) === undefined) delete d[k]
      return d
    })
    for (const d of docs) await store.save('rand/x@1.0', d._id as string, d)
    const paths = ['a', 'b', 'a.x', 'b.x', 'c.y', 'a.0', 'c.x.x']
    const condition = (): unknown => {
      const v = () => pick(scalars.filter((s) => s !== null))
      switch (rnd(6)) {
        case 0:
          return { $in: [v(), v()] }
        case 1:
          return { [pick(['$gt', '$gte', '$lt', '$lte'])]: v() }
        case 2:
          return { $gt: v(), $lt: v() }
        case 3:
          return { $eq: v() }
        default:
          return v()
      }
    }
    const filters = Array.from({ length: 150 }, () => {
      const f = () => ({ [pick(paths)]: condition() })
      return rnd(4) === 0 ? { $or: [f(), f()] } : rnd(3) === 0 ? { ...f(), ...f() } : f()
    })
    const c = coll('rand/x@1.0')
    const check = async () => {
      for (const f of filters) {
        const match = compileFilter(f)
        const expected = docs
          .map(
            (d) =>
              EJSON.parse(EJSON.stringify(d, { relaxed: true }), { relaxed: true }) as Record<
                string,
                unknown
              >,
          )
          .filter(match)
          .map((d) => d._id)
        expect([f, (await c.find(f, { projection: { _id: 1 } }).toArray()).map((d) => d._id)]).toEqual([
          f,
          expected,
        ])
        expect([f, await c.countDocuments(f)]).toEqual([f, expected.length])
      }
    }
    await check()
    for (const p of paths) await c.createIndex({ [p]: 1 })
    await check()
  }, 120_000)
})

describe('writes', () => {
  it('refuses a document over 16 MiB as BSON with StoreError, keeping the stored one unchanged', async () => {
    const err = await rejection(store.save('big/doc@1.0', hex(1), { blob: 'x'.repeat(17 << 20) }))
    expect(err).toBeInstanceOf(StoreError)
    expect((err as Error).message).toMatch(/over the 16777216-byte limit/)
    expect(await coll('big/doc@1.0').findOne({ _id: hex(1) })).toBeNull()
    await store.save('big/doc@1.0', hex(2), { small: 1 })
    await expect(store.save('big/doc@1.0', hex(2), { blob: 'x'.repeat(17 << 20) })).rejects.toThrow(
      StoreError,
    )
    expect(await coll('big/doc@1.0').findOne({ _id: hex(2) })).toEqual({ _id: hex(2), small: 1 })
  })

  it('cannot change a document _id, and a store it cannot write in fails with StoreError', async () => {
    await store.save('w/ids@1.0', hex(1), { _id: 'other', a: 1 })
    expect(await coll('w/ids@1.0').find({}).toArray()).toEqual([{ _id: hex(1), a: 1 }])
    const file = join(home, 'not-a-folder')
    writeFileSync(file, '')
    const broken = new EmbeddedStore(file)
    await expect(broken.save('w/ids@1.0', hex(1), { a: 1 })).rejects.toThrow(StoreError)
    await expect(broken.collection('w/ids@1.0').find({}).toArray()).rejects.toThrow(StoreError)
  })
})
