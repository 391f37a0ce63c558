import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { storeFromEnv } from '../../src/store'
import { docker } from '../support/engine'
import { useStore } from '../support/env'
import {
  call,
  containerOf,
  engineObjects,
  exec,
  removeDir,
  settled,
  startService,
  type Service,
} from './support'

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$/
const FLAG = `flag{api-${randomBytes(6).toString('hex')}}`

const stores = [
  ['embedded', () => 'embedded' as const],
  ['mongodb', () => ({ mongoUrl: inject('mongoUrl'), db: `levtest_envd_${randomBytes(4).toString('hex')}` })],
] as const

describe.each(stores)('the seed API on the %s store', (_, which) => {
  let env: ReturnType<typeof useStore>
  let svc: Service
  let id: number
  let expire: Date

  beforeAll(async () => {
    env = useStore(which())
    svc = await startService()
  })
  afterAll(async () => {
    await svc.close()
    expect(await engineObjects(svc.instance)).toEqual({ containers: 0, networks: 0, volumes: 0 })
    removeDir(svc.data)
    env.restore()
  })

  it('create answers at once with status 0 and the first id (uid as a string, as the seed sends it)', async () => {
    expire = new Date(Date.now() + 30 * 60_000)
    const iso = expire.toISOString().replace('Z', '108+00:00') // microseconds, as Python writes them
    const t0 = Date.now()
    const reply = await call(svc.url, 'POST', '/env/create', {
      uid: '1',
      challenge: 11,
      compose_file: 'seed/docker-compose.yaml',
      flag: FLAG,
      expire: iso,
    })
    expect(Date.now() - t0).toBeLessThan(1000)
    expect(reply).toEqual({ status: 200, body: { status: 0, id: 1 } })
    id = reply.body.id
  })

  it('get goes from CREATING (0) to CREATED (1), in the seed shape with ISO times', async () => {
    const first = await call(svc.url, 'GET', `/env/get/${id}`)
    expect(Object.keys(first.body)).toEqual(['expire', 'id', 'node_ip', 'node_port', 'status'])
    const reply = await settled(svc.url, id)
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({
      expire: expect.stringMatching(ISO),
      id,
      node_ip: '127.0.0.1',
      node_port: expect.any(Number),
      status: 1,
    })
    expect(new Date(reply.body.expire).getTime()).toBe(expire.getTime())
  })

  it('a player reaches the environment on node_ip:node_port', async () => {
    const { body } = await call(svc.url, 'GET', `/env/get/${id}`)
    const page = await fetch(`http://${body.node_ip}:${body.node_port}/`).then((r) => r.text())
    expect(page).toContain('levkit/nginx')
  })

  it('the flag is at /flag/flag inside, read-only, and nowhere in labels, env, list or logs', async () => {
    const c = await containerOf(svc.instance, id, 'test')
    expect(await exec(c, ['cat', '/flag/flag'])).toEqual({ code: 0, output: FLAG })
    expect((await exec(c, ['sh', '-c', 'echo x > /flag/flag'])).code).not.toBe(0)
    const info = await docker.getContainer(c).inspect()
    expect(JSON.stringify([info.Config.Labels, info.Config.Env, info.Config.Cmd])).not.toContain(FLAG)
    expect(JSON.stringify((await call(svc.url, 'GET', '/env/list')).body)).not.toContain(FLAG)
    expect(svc.logs()).toContain('request completed')
    expect(svc.logs()).not.toContain(FLAG)
    const stored = await storeFromEnv().collection('levrt/envd@1.0').find({}).toArray()
    expect(JSON.stringify(stored)).not.toContain(FLAG)
  })

  it('every container is hardened: limits, no-new-privileges, capabilities dropped', async () => {
    const info = await docker.getContainer(await containerOf(svc.instance, id, 'test')).inspect()
    expect(info.HostConfig).toMatchObject({
      NanoCpus: 5e8,
      Memory: 256 * 2 ** 20,
      PidsLimit: 128,
      SecurityOpt: ['no-new-privileges:true'],
      CapDrop: ['ALL'],
      Privileged: false,
    })
    expect(info.HostConfig.CapAdd).not.toContain('SYS_ADMIN')
  })

  it('renew extends a CREATED environment (to the given time, or now + 1 hour)', async () => {
    const to = new Date(Date.now() + 45 * 60_000)
    const given = await call(svc.url, 'POST', `/env/renew/${id}`, {
      expire: to.toISOString().replace('Z', '+00:00'),
    })
    expect(given).toEqual({ status: 200, body: { expire: expect.stringMatching(ISO), status: 1 } })
    expect(new Date(given.body.expire).getTime()).toBe(to.getTime())
    const before = Date.now()
    const plain = await call(svc.url, 'POST', `/env/renew/${id}`, '', { 'Content-Type': 'application/json' })
    expect(plain.body.status).toBe(1)
    expect(Math.abs(new Date(plain.body.expire).getTime() - (before + 3600_000))).toBeLessThan(5000)
    expect((await call(svc.url, 'GET', `/env/get/${id}`)).body.expire).toBe(plain.body.expire)
  })

  it('list answers the get objects', async () => {
    const [one, list] = await Promise.all([
      call(svc.url, 'GET', `/env/get/${id}`),
      call(svc.url, 'GET', '/env/list'),
    ])
    expect(list).toEqual({ status: 200, body: [one.body] })
  })

  it('delete answers status 3, removes what it ran, and get then says DELETED', async () => {
    expect(await call(svc.url, 'GET', `/env/delete/${id}`)).toEqual({ status: 200, body: { status: 3 } })
    expect(await engineObjects(svc.instance, id)).toEqual({ containers: 0, networks: 0, volumes: 0 })
    expect((await call(svc.url, 'GET', `/env/get/${id}`)).body).toMatchObject({ id, status: 3 })
    expect((await call(svc.url, 'GET', `/env/list`)).body).toEqual([])
    expect(await call(svc.url, 'GET', `/env/delete/${id}`)).toEqual({ status: 200, body: { status: 3 } })
    // The seed's answer exactly: a client may compare it whole.
    expect(await call(svc.url, 'POST', `/env/renew/${id}`)).toEqual({ status: 409, body: { status: -1 } })
  })

  it('the health endpoint reports the engine and the counts', async () => {
    expect(await call(svc.url, 'GET', '/health')).toEqual({
      status: 200,
      body: { ok: true, engine: true, environments: { creating: 0, created: 0, error: 0 } },
    })
  })
})
