import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { ObjectId } from 'bson'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { storeFromEnv, type Store } from '../src/store'
import { MongoStore } from '../src/store/mongo'
import { EmbeddedStore } from '../src/store/embedded'
import { useStore } from './support/env'

const run = promisify(execFile)
/** The built command (`npm test` builds it first; `npm run build` when running this file alone). */
const BIN = join(resolve(__dirname, '..'), 'dist/cli/levrt.js')

async function levrt(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env } })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

/** An id made `secondsAgo` seconds ago: ids sort by time, as runs' ids do. */
const idAgo = (secondsAgo: number) =>
  ObjectId.createFromTime(Math.floor(Date.now() / 1000) - secondsAgo).toHexString()

const STORES = [
  ['embedded', () => 'embedded' as const],
  ['mongodb', () => ({ mongoUrl: inject('mongoUrl'), db: `levtest_${randomBytes(4).toString('hex')}` })],
] as const

describe.each(STORES)('levrt ls and find hints on the %s store', (kind, which) => {
  let env: ReturnType<typeof useStore>
  let store: Store
  beforeAll(async () => {
    env = useStore(which())
    store = storeFromEnv()
    const old = idAgo(3600)
    await store.save('newuser|lab|newuser/nmap@1.0', idAgo(7200), { host: 'a' })
    await store.save('newuser|lab|newuser/nmap@1.0', old, { host: 'b' })
    await store.save('newuser/curl@1.0', idAgo(60), { url: 'http://web' })
    await store.save('levrt/run@1.0', idAgo(600), {})
  })
  afterAll(async () => {
    if (store instanceof MongoStore) await store.close()
    if (store instanceof EmbeddedStore) store.close()
    env.restore()
  })

  it('ls lists each collection with its count, the newest run first', async () => {
    const r = await levrt(['ls'])
    expect(r.code).toBe(0)
    const rows = r.stdout.trim().split('\n')
    expect(rows[0]).toMatch(/^COLLECTION\s+RUNS\s+NEWEST$/)
    expect(rows.slice(1).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ['newuser/curl@1.0', '1'],
      ['levrt/run@1.0', '1'],
      ['newuser|lab|newuser/nmap@1.0', '2'],
    ])
    expect(rows[1]).toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
  })

  it('find on a collection that does not exist says so on stderr and names the namespaced one', async () => {
    const r = await levrt(['find', 'newuser/nmap@1.0'])
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        "levrt find: no collection newuser/nmap@1.0; did you mean 'newuser|lab|newuser/nmap@1.0', 'newuser/curl@1.0'? (`levrt ls` lists them)\n",
    })
    const typo = await levrt(['find', 'newuser/crul@1.0'])
    expect(typo.stderr).toContain("did you mean 'newuser/curl@1.0', ")
    const far = await levrt(['find', 'somebody/else@9.9'])
    expect(far.stderr).toBe('levrt find: no collection somebody/else@9.9 (`levrt ls` lists them)\n')
  })

  it('find with no match in a collection that exists prints nothing and says nothing', async () => {
    expect(await levrt(['find', 'newuser/curl@1.0', '{"url": "nope"}'])).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    })
  })

  it(`${kind}: ls on an empty store prints nothing`, async () => {
    const empty = useStore(kind === 'embedded' ? 'embedded' : (which() as { mongoUrl: string; db: string }))
    try {
      expect(await levrt(['ls'])).toEqual({ code: 0, stdout: '', stderr: '' })
    } finally {
      empty.restore()
    }
  })
})
