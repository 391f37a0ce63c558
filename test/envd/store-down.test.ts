import { randomBytes } from 'node:crypto'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEnvd, ENV_COLLECTION, type Envd } from '../../src/envd'
import { StoreError } from '../../src/errors'
import { storeFromEnv, type Store } from '../../src/store'
import { useStore } from '../support/env'
import {
  call,
  dataDir,
  engineObjects,
  portRange,
  removeDir,
  settled,
  tagTestBusybox,
  untagTestBusybox,
} from './support'

/**
 * Issue 17 (R5): the store unreachable. A create answers 503 (at once, not after the driver's
 * server selection each) and leaves nothing; get and list answer from memory; once the store
 * answers again creates go on, and the states it missed are written. The store here is the real
 * embedded one behind a switch that makes it answer as an unreachable MongoDB does.
 */
function switchable(real: Store): { store: Store; down(on: boolean): void; writes(): number } {
  let down = false
  let writes = 0
  const unreachable = () => new StoreError('could not write: no server', new Error('ECONNREFUSED'), true)
  const store: Store = {
    kind: real.kind,
    key: real.key,
    location: real.location,
    collection: (name) => real.collection(name),
    collections: () => real.collections(),
    unreachable: (err) => real.unreachable(err),
    save(...args) {
      writes++
      return down ? Promise.reject(unreachable()) : real.save(...args)
    },
  }
  return { store, down: (on) => void (down = on), writes: () => writes }
}

describe('the store unreachable', () => {
  let env: ReturnType<typeof useStore>
  let envd: Envd
  let store: ReturnType<typeof switchable>
  let real: Store
  const data = dataDir()
  const instance = `t${randomBytes(4).toString('hex')}`

  beforeAll(async () => {
    env = useStore('embedded')
    await tagTestBusybox()
    real = storeFromEnv()
    store = switchable(real)
    envd = await start()
  })
  const start = () =>
    startEnvd(
      {
        listen: '127.0.0.1:0',
        nodeIp: '127.0.0.1',
        ports: portRange(20),
        maxTotal: 10,
        reapEvery: 3600,
        data,
        instance,
        nodeIsolation: false,
        logStream: new PassThrough().resume(),
      },
      store.store,
    )
  afterAll(async () => {
    store.down(false)
    await envd?.close()
    expect(await engineObjects(instance)).toEqual({ containers: 0, networks: 0, volumes: 0 })
    await untagTestBusybox()
    removeDir(data)
    env.restore()
  })

  it('creates answer 503 at once and make nothing; reads answer from memory; then writes resume', async () => {
    const first = await call(envd.url, 'POST', '/env/create', {
      uid: 1,
      challenge: 1,
      compose_file: 'busy.yaml',
    })
    expect(first.body).toEqual({ status: 0, id: 1 })
    // Down while the first deploys: its CREATED state cannot be written yet.
    store.down(true)
    expect((await settled(envd.url, 1)).body).toMatchObject({ id: 1, status: 1 })

    const before = store.writes()
    const refused = await Promise.all(
      [2, 3, 4].map((uid) =>
        call(envd.url, 'POST', '/env/create', { uid, challenge: 1, compose_file: 'busy.yaml' }),
      ),
    )
    for (const r of refused) {
      expect(r.status).toBe(503)
      expect(r.body).toEqual({ status: -1, error: expect.stringMatching(/the store does not answer/) })
    }
    expect(store.writes() - before).toBeLessThanOrEqual(1) // once found down, creates do not wait on it
    expect((await call(envd.url, 'GET', '/env/list')).body).toEqual([
      expect.objectContaining({ id: 1, status: 1 }),
    ])
    expect((await call(envd.url, 'GET', '/env/get/1')).body).toMatchObject({ id: 1, status: 1 })
    // A renew the store cannot take is refused, and changes nothing (it did extend in memory).
    const { expire } = (await call(envd.url, 'GET', '/env/get/1')).body as { expire: string }
    const later = new Date(Date.parse(expire) + 3_600_000).toISOString()
    const renewed = await call(envd.url, 'POST', '/env/renew/1', { expire: later })
    expect(renewed.status).toBe(503)
    expect((await call(envd.url, 'GET', '/env/get/1')).body).toMatchObject({ expire })
    expect(await engineObjects(instance, 2)).toEqual({ containers: 0, networks: 0, volumes: 0 })

    store.down(false)
    await new Promise((r) => setTimeout(r, 2100)) // the guard's retry delay
    await envd.environments.reap()
    expect(await real.collection(`${instance}|${ENV_COLLECTION}`).findOne({ _id: '1' })).toMatchObject({
      status: 1,
    })
    const next = await call(envd.url, 'POST', '/env/create', {
      uid: 2,
      challenge: 1,
      compose_file: 'busy.yaml',
    })
    expect(next.body).toEqual({ status: 0, id: 2 })
    expect((await settled(envd.url, 2)).body).toMatchObject({ id: 2, status: 1 })
    for (const id of [1, 2])
      expect((await call(envd.url, 'GET', `/env/delete/${id}`)).body).toEqual({ status: 3 })
  })

  it('a stop while the store is down keeps the states it missed, and the next start writes them', async () => {
    const made = await call(envd.url, 'POST', '/env/create', {
      uid: 5,
      challenge: 1,
      compose_file: 'busy.yaml',
    })
    const { id } = made.body as { id: number }
    expect((await settled(envd.url, id)).body).toMatchObject({ id, status: 1 })
    store.down(true)
    expect((await call(envd.url, 'GET', `/env/delete/${id}`)).body).toEqual({ status: 3 })
    await envd.close()
    const envs = real.collection(`${instance}|${ENV_COLLECTION}`)
    expect(await envs.findOne({ _id: String(id) })).toMatchObject({ status: 1 }) // what the store missed
    store.down(false)
    envd = await start()
    expect(await envs.findOne({ _id: String(id) })).toMatchObject({ status: 3 })
    expect((await call(envd.url, 'GET', `/env/get/${id}`)).body).toMatchObject({ status: 3 })
  })
})
