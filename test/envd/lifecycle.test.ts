import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { envdLabels, envLabels } from '../../src/envd/backend/docker/labels'
import { storeFromEnv } from '../../src/store'
import { docker } from '../support/engine'
import { useStore } from '../support/env'
import {
  call,
  containerOf,
  engineObjects,
  eventually,
  exec,
  removeDir,
  settled,
  startService,
  tagTestBusybox,
  untagTestBusybox,
  type Service,
} from './support'

const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString()
const create = (svc: Service, body: Record<string, unknown>) =>
  call(svc.url, 'POST', '/env/create', { uid: 1, challenge: 1, compose_file: 'busy.yaml', ...body })

async function cleanUp(svc: Service): Promise<void> {
  for (const e of (await call(svc.url, 'GET', '/env/list')).body)
    await call(svc.url, 'GET', `/env/delete/${e.id}`)
  await svc.close()
  expect(await engineObjects(svc.instance)).toEqual({ containers: 0, networks: 0, volumes: 0 })
  removeDir(svc.data)
}

describe('environment lifecycle', () => {
  let env: ReturnType<typeof useStore>
  beforeAll(async () => {
    env = useStore('embedded')
    await tagTestBusybox()
  })
  afterAll(async () => {
    await untagTestBusybox()
    env.restore()
  })

  it('expiry reclaims an environment within one reap period', async () => {
    const svc = await startService({ reapEvery: 1 })
    try {
      // Long enough to be CREATED first on a loaded machine (creating takes 1-3 s there).
      const { body } = await create(svc, { expire: inSeconds(5) })
      expect((await settled(svc.url, body.id)).body.status).toBe(1)
      const expire = Date.parse((await call(svc.url, 'GET', `/env/get/${body.id}`)).body.expire)
      // Reclaimed (DELETED) within one reap period after the expiry, with slack for the call.
      const deleted = async () => (await call(svc.url, 'GET', `/env/get/${body.id}`)).body.status === 3
      expect(await eventually(deleted, expire - Date.now() + 1000 + 1500)).toBe(true)
      // Then nothing left on the engine: the uid's network goes once its last endpoint has (a
      // moment after the containers, longer on a loaded engine).
      const clean = async () =>
        JSON.stringify(await engineObjects(svc.instance)) ===
        JSON.stringify({ containers: 0, networks: 0, volumes: 0 })
      expect(await eventually(clean, 15_000)).toBe(true)
    } finally {
      await cleanUp(svc)
    }
  })

  it('a restart keeps state; what expired while the service was down is reclaimed at start', async () => {
    const first = await startService({ reapEvery: 30 })
    const keep = (await create(first, {})).body.id
    const expiring = (await create(first, { uid: 2, expire: inSeconds(3) })).body.id
    const before = (await settled(first.url, keep)).body
    expect(before.status).toBe(1)
    expect((await settled(first.url, expiring)).body.status).toBe(1)
    await first.close()
    const stored = await storeFromEnv()
      .collection(`${first.instance}|levrt/envd@1.0`)
      .findOne({ id: expiring })
    await sleep(Math.max(0, new Date(stored!.expire as Date).getTime() - Date.now() + 200))
    const second = await startService({
      data: first.data,
      instance: first.instance,
      ports: `${before.node_port}-${before.node_port}`,
      reapEvery: 30,
      maxTotal: 1,
    })
    try {
      expect((await call(second.url, 'GET', `/env/get/${keep}`)).body).toEqual(before)
      expect(await fetch(`http://127.0.0.1:${before.node_port}/`).then((r) => r.status)).toBeLessThan(500)
      expect((await call(second.url, 'GET', `/env/get/${expiring}`)).body.status).toBe(3)
      expect(await engineObjects(second.instance, expiring)).toEqual({
        containers: 0,
        networks: 0,
        volumes: 0,
      })
      expect((await call(second.url, 'POST', `/env/renew/${keep}`)).body.status).toBe(1)
      // Ids go on from where they were; the one port of the range is still taken by `keep`.
      expect((await call(second.url, 'GET', `/env/delete/${keep}`)).body.status).toBe(3)
      const next = await create(second, { uid: 3 })
      expect(next.body).toEqual({ status: 0, id: expiring + 1 })
      expect((await settled(second.url, next.body.id)).body).toMatchObject({
        status: 1,
        node_port: before.node_port,
      })
    } finally {
      await cleanUp(second)
    }
  })

  it('a deploy cut short by a stop resumes at the next start, flag and all', async () => {
    const first = await startService()
    const { body } = await create(first, { compose_file: 'web.yaml', flag: 'flag{resumed}' })
    await first.close() // while it is CREATING
    const second = await startService({ data: first.data, instance: first.instance })
    try {
      expect((await settled(second.url, body.id)).body.status).toBe(1)
      expect(
        (await exec(await containerOf(second.instance, body.id, 'test'), ['cat', '/flag/flag'])).output,
      ).toBe('flag{resumed}')
    } finally {
      await cleanUp(second)
    }
  })

  it('the sweep removes objects of environments the store does not know', async () => {
    const svc = await startService({ reapEvery: 1 })
    try {
      const labels = envdLabels(svc.instance, 'envd:service:web', envLabels(999, 9, 9))
      const stray = await docker.createContainer({
        Image: 'levrt/busybox',
        Cmd: ['sleep', '60'],
        Labels: labels,
      })
      const volume = `levrt-envd-${svc.instance}-999-x`
      await docker.createVolume({
        Name: volume,
        Labels: envdLabels(svc.instance, 'envd:volume', envLabels(999, 9, 9)),
      })
      expect(await engineObjects(svc.instance, 999)).toEqual({ containers: 1, networks: 0, volumes: 1 })
      expect(
        await eventually(
          async () =>
            (await engineObjects(svc.instance, 999)).containers +
              (await engineObjects(svc.instance, 999)).volumes ===
            0,
          3000,
        ),
      ).toBe(true)
      await stray.remove({ force: true }).catch(() => undefined)
      await docker
        .getVolume(volume)
        .remove()
        .catch(() => undefined)
    } finally {
      await cleanUp(svc)
    }
  })

  it('caps per uid and in total hold under concurrent creates', async () => {
    const svc = await startService({ maxPerUid: 2, maxTotal: 3 })
    try {
      const burst = await Promise.all(Array.from({ length: 8 }, () => create(svc, { uid: 7 })))
      expect(burst.filter((r) => r.status === 200)).toHaveLength(2)
      expect(burst.filter((r) => r.status === 429)[0].body.error).toMatch(
        /uid 7 has 2 live environments, the most allowed/,
      )
      expect((await create(svc, { uid: 8 })).status).toBe(200)
      const full = await create(svc, { uid: 9 })
      expect(full).toEqual({
        status: 429,
        body: { status: -1, error: expect.stringMatching(/3 environments are live/) },
      })
      expect((await call(svc.url, 'GET', '/env/list')).body).toHaveLength(3)
    } finally {
      await cleanUp(svc)
    }
  })

  it('renew clamps expire to the lifetime ceiling', async () => {
    const svc = await startService({ maxLifetime: 20 })
    try {
      const { body } = await create(svc, { expire: inSeconds(3600) })
      const created = Date.now()
      expect((await settled(svc.url, body.id)).body.status).toBe(1)
      const renewed = await call(svc.url, 'POST', `/env/renew/${body.id}`, { expire: inSeconds(7200) })
      expect(renewed.body.status).toBe(1)
      expect(Math.abs(Date.parse(renewed.body.expire) - (created + 20_000))).toBeLessThan(1500)
    } finally {
      await cleanUp(svc)
    }
  })

  it('an environment that never gets ready is an ERROR (2) with the reason kept for operators; renew answers -1', async () => {
    const svc = await startService({ readyTimeout: 20 })
    try {
      const exits = (await create(svc, { compose_file: 'exits.yaml' })).body.id
      const missing = (await create(svc, { compose_file: 'missing-image.yaml' })).body.id
      expect((await settled(svc.url, exits)).body.status).toBe(2)
      expect((await settled(svc.url, missing)).body.status).toBe(2)
      expect(await call(svc.url, 'POST', `/env/renew/${exits}`)).toMatchObject({
        status: 409,
        body: { status: -1 },
      })
      const coll = storeFromEnv().collection(`${svc.instance}|levrt/envd@1.0`)
      expect((await coll.findOne({ id: exits }))?.reason).toMatch(/exited \(exit code 3.*\): boom/)
      expect((await coll.findOne({ id: missing }))?.reason).toMatch(
        /image levrt-test\/not-built:1.0 is not on the engine/,
      )
      expect(svc.logs()).toMatch(/environment failed/)
      expect(await engineObjects(svc.instance, exits)).toEqual({ containers: 0, networks: 0, volumes: 0 })
      expect((await call(svc.url, 'GET', '/env/list')).body.map((e: { status: number }) => e.status)).toEqual(
        [2, 2],
      )
    } finally {
      await cleanUp(svc)
    }
  })
})
