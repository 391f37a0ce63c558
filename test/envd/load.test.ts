import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useStore } from '../support/env'
import { docker } from '../support/engine'
import {
  call,
  engineObjects,
  removeDir,
  settled,
  startService,
  tagTestBusybox,
  untagTestBusybox,
  type Service,
} from './support'

const CREATES = 60
const UIDS = 50

/**
 * Bounded, loopback only: 60 creates at once across 50 uids (50 networks: more than the
 * engine's default address pools allow), then deletes. Every environment must be CREATED on a
 * port of its own, and nothing may be left on the engine.
 */
describe('load', () => {
  let env: ReturnType<typeof useStore>
  let svc: Service
  const ids: number[] = []

  beforeAll(async () => {
    env = useStore('embedded')
    await tagTestBusybox()
    svc = await startService({ ports: '39000-39199', readyTimeout: 120 })
  })
  afterAll(async () => {
    await svc.close()
    expect(await engineObjects(svc.instance)).toEqual({ containers: 0, networks: 0, volumes: 0 })
    await untagTestBusybox()
    removeDir(svc.data)
    env.restore()
  })

  it(`${CREATES} concurrent creates across ${UIDS} uids are all CREATED, on ports that never collide`, async () => {
    const replies = await Promise.all(
      Array.from({ length: CREATES }, (_, i) =>
        call(svc.url, 'POST', '/env/create', {
          uid: 1000 + (i % UIDS),
          challenge: 1,
          compose_file: 'busy.yaml',
        }),
      ),
    )
    for (const r of replies) expect(r).toMatchObject({ status: 200, body: { status: 0 } })
    ids.push(...replies.map((r) => r.body.id as number))
    expect(new Set(ids).size).toBe(CREATES)
    const final = await Promise.all(ids.map((id) => settled(svc.url, id, 180_000)))
    expect(final.map((r) => r.body.status)).toEqual(ids.map(() => 1))
    const ports = final.map((r) => r.body.node_port as number)
    expect(new Set(ports).size).toBe(CREATES)
    for (const port of ports) expect(port).toBeGreaterThanOrEqual(39000)
    const networks = await docker.listNetworks({
      filters: JSON.stringify({ label: [`io.levrt.envd.instance=${svc.instance}`] }),
    })
    expect(networks).toHaveLength(UIDS)
    // Each answers on its own published port.
    const answers = await Promise.all(ports.map((p) => fetch(`http://127.0.0.1:${p}/`).then((r) => r.status)))
    expect(answers.every((s) => s < 500)).toBe(true)
  }, 240_000)

  it('then deletes leave nothing on the engine', async () => {
    const replies = await Promise.all(ids.map((id) => call(svc.url, 'GET', `/env/delete/${id}`)))
    expect(replies.every((r) => r.body.status === 3)).toBe(true)
    expect(await engineObjects(svc.instance)).toEqual({ containers: 0, networks: 0, volumes: 0 })
    expect((await call(svc.url, 'GET', '/env/list')).body).toEqual([])
  }, 120_000)
})
