import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MongoClient } from 'mongodb'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { Cr, currentContext, OptionsError, withContext } from '../src/index'
import { levrtObjects } from './support/engine'

const SCHEMA = 'test/shorthand@1.0'
const homes: string[] = []
const newHome = () => {
  const home = mkdtempSync(join(tmpdir(), 'levrt-shorthand-'))
  homes.push(home)
  return home
}
const echo = (text: string) =>
  new Cr('levrt/busybox', SCHEMA, { cmd: ['sh', '-c', `echo '{"said":"${text}"}' >> "$LEV_RECORDS"`] })

afterAll(() => homes.forEach((home) => rmSync(home, { recursive: true, force: true })))

describe('withContext({ engine?, store?, home? }, fn): the contract short form', () => {
  it('sends the runs of each scope to its own home, the same engine given as an address', async () => {
    const [a, b] = [newHome(), newHome()]
    const engine = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock'
    const [docA, docB] = await Promise.all([
      withContext({ home: a }, () => echo('a')),
      withContext({ home: b, engine }, () => echo('b')),
    ])
    expect(await docA.get()).toEqual({ said: 'a' })
    expect(await docB.get()).toEqual({ said: 'b' })
    expect(await docA.coll.countDocuments({})).toBe(1)
    expect(await docB.coll.find({}, { projection: { said: 1, _id: 0 } }).toArray()).toEqual([{ said: 'b' }])
    expect(existsSync(a) && existsSync(b)).toBe(true)
    expect(await levrtObjects()).toMatchObject({ containers: 0 })
  })

  it('makes one context per distinct short form: one engine connection and one reaper, not one per call', () => {
    const [a, b] = [newHome(), newHome()]
    const first = withContext({ home: a }, () => currentContext())
    expect(withContext({ home: a }, () => currentContext())).toBe(first)
    expect(withContext({ home: b }, () => currentContext())).not.toBe(first)
    expect(first.home()).toBe(a)
  })

  it('stores in the MongoDB its store names (database LEV_MONGO_DB, else lev)', async () => {
    const url = inject('mongoUrl')
    const db = `shorthand_${process.pid}`
    const before = process.env.LEV_MONGO_DB
    process.env.LEV_MONGO_DB = db
    const client = await new MongoClient(url).connect()
    try {
      const doc = await withContext({ store: url, home: newHome() }, () => echo('m'))
      const stored = await client
        .db(db)
        .collection(SCHEMA)
        .findOne({ _id: doc.filters._id as never })
      expect(stored).toMatchObject({ said: 'm' })
    } finally {
      if (before === undefined) delete process.env.LEV_MONGO_DB
      else process.env.LEV_MONGO_DB = before
      await client.db(db).dropDatabase()
      await client.close()
    }
  })

  it('refuses a malformed short form with an OptionsError before anything is created', async () => {
    const bad: [object, RegExp][] = [
      [{ store: 'postgres://db/x' }, /context\.store/],
      [{ engine: 'docker.example:2375' }, /context\.engine/],
      [{ engine: 'http://x:2375' }, /context\.engine/],
      [{ home: 7 }, /context\.home/],
      [{ mongoUrl: 'mongodb://x' }, /context\.mongoUrl/],
    ]
    for (const [ctx, option] of bad) {
      let ran = false
      const err = (() => {
        try {
          return withContext(ctx as never, () => (ran = true))
        } catch (e) {
          return e
        }
      })()
      expect(err, JSON.stringify(ctx)).toBeInstanceOf(OptionsError)
      expect((err as OptionsError).option).toMatch(option)
      expect(ran).toBe(false)
    }
    expect(await levrtObjects()).toMatchObject({ containers: 0 })
  })
})
