import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { swarmLabels } from '../../src/envd/backend/swarm/names'
import { nodeInventory } from '../../src/envd/backend/swarm/inventory'
import { UidOverlays } from '../../src/envd/backend/swarm/overlays'
import { call, eventually, settled, startService } from './support'
import { swarmSuite } from './swarm-suite'
import { containerOn, create, get, inSeconds, resolves, swarmObjects } from './swarm-support'

describe('envd on a three-node swarm', () => {
  const ctx = swarmSuite()

  it("the seed's calls: a node is allocated, a player fetches the flag at node_ip:node_port", async () => {
    const { body } = await create(ctx.svc, { uid: 7, compose_file: 'swarm/flag.yaml', flag: 'flag{swarm}' })
    expect(body).toEqual({ status: 0, id: expect.any(Number) })
    const first = (await call(ctx.svc.url, 'GET', `/env/get/${body.id}`)).body
    // Allocating: no node yet, or a node and a port while the task starts.
    expect(first.status).toBe(0)
    expect(first.node_ip === null).toBe(first.node_port === null)
    const done = (await settled(ctx.svc.url, body.id)).body
    expect(done).toMatchObject({ id: body.id, status: 1 })
    expect(ctx.nodes.map((n) => n.address)).toContain(done.node_ip)
    const page = await fetch(`http://${done.node_ip}:${done.node_port}/flag`)
    expect(await page.text()).toBe('flag{swarm}')
    // Host mode: only the task's node answers on that port.
    const other = ctx.nodes.find((n) => n.address !== done.node_ip)!
    await expect(
      fetch(`http://${other.address}:${done.node_port}/flag`, { signal: AbortSignal.timeout(2000) }),
    ).rejects.toThrow()
    // The flag is in no label, list or log.
    expect(JSON.stringify((await call(ctx.svc.url, 'GET', '/env/list')).body)).not.toContain('flag{swarm}')
    expect(ctx.svc.logs()).not.toContain('flag{swarm}')
    expect((await call(ctx.svc.url, 'POST', `/env/renew/${body.id}`, {})).body.status).toBe(1)
    expect((await call(ctx.svc.url, 'GET', `/env/delete/${body.id}`)).body).toEqual({ status: 3 })
    expect(await swarmObjects(ctx.nodes, ctx.svc.instance, body.id)).toMatchObject({
      services: 0,
      secrets: 0,
    })
    // The node removes the task's container a moment after the service is gone.
    expect(
      await eventually(
        async () => (await swarmObjects(ctx.nodes, ctx.svc.instance, body.id)).containers === 0,
        20_000,
      ),
    ).toBe(true)
  })

  it('FLAG variables get the flag on the task only: not in list, logs or labels', async () => {
    const { body } = await create(ctx.svc, {
      uid: 13,
      compose_file: 'swarm/flag-env.yaml',
      flag: 'flag{env}',
    })
    const done = (await settled(ctx.svc.url, body.id)).body
    expect(done.status).toBe(1)
    expect(await (await fetch(`http://${done.node_ip}:${done.node_port}/flag`)).text()).toBe('flag{env}\n')
    const [service] = await ctx.nodes[0].docker.listServices({
      filters: JSON.stringify({ label: [`io.levrt.envd.env=${body.id}`] }),
    })
    const labels = [
      service.Spec?.Labels,
      JSON.stringify(service.Spec?.TaskTemplate).match(/"Labels":\{[^}]*\}/g),
    ]
    expect(JSON.stringify(labels)).not.toContain('flag{env}')
    expect(JSON.stringify((await call(ctx.svc.url, 'GET', '/env/list')).body)).not.toContain('flag{env}')
    expect(ctx.svc.logs()).not.toContain('flag{env}')
    await call(ctx.svc.url, 'GET', `/env/delete/${body.id}`)
  })

  it('overlays made at once get distinct subnets the swarm allocates (it accepts a taken one, never allocating it)', async () => {
    const pool = { range: '10.78.252.0/24', prefix: 27 }
    const overlays = new UidOverlays(ctx.nodes[0].docker, `${ctx.svc.instance}x`, pool, false)
    const uids = [1, 2, 3, 4, 5, 6]
    try {
      const names = await Promise.all(uids.map((uid) => overlays.acquire(uid, uid)))
      const subnets = await Promise.all(
        names.map(async (n) => (await ctx.nodes[0].docker.getNetwork(n).inspect()).IPAM?.Config?.[0]?.Subnet),
      )
      expect(subnets.every((s) => typeof s === 'string')).toBe(true)
      expect(new Set(subnets).size).toBe(uids.length)
    } finally {
      await Promise.all(uids.map((uid) => overlays.release(uid, uid)))
    }
  })

  it('a missing image makes the environment an ERROR naming the node and the image, quickly', async () => {
    const t0 = Date.now()
    const { body } = await create(ctx.svc, { uid: 8, compose_file: 'swarm/missing.yaml' })
    expect((await settled(ctx.svc.url, body.id, 30_000)).body.status).toBe(2)
    expect(Date.now() - t0).toBeLessThan(15_000)
    const reason = /"reason":"([^"]*)"/.exec(
      ctx.svc
        .logs()
        .split('\n')
        .find((l) => l.includes(`"env":${body.id},`) && l.includes('reason')) ?? '',
    )?.[1]
    expect(reason).toMatch(/image levrt-test\/absent:1.0 is not on node levswt-n\d \(10\.79\.7\.\d+\)/)
    expect(await swarmObjects(ctx.nodes, ctx.svc.instance, body.id)).toMatchObject({
      services: 0,
      secrets: 0,
    })
  })

  it('the node inventory (levrt envd nodes): environments per node, images each node lacks', async () => {
    const { body } = await create(ctx.svc, { uid: 12 })
    const view = (await settled(ctx.svc.url, body.id)).body
    const rows = await nodeInventory(ctx.nodes[0].docker, ctx.svc.instance, join(ctx.svc.data, 'compose'))
    expect(rows.map((r) => r.name).sort()).toEqual(ctx.nodes.map((n) => n.name).sort())
    for (const r of rows) {
      // The lab has only busybox: the fixtures' nginx and the absent image are missing everywhere.
      expect(r.missing).toEqual(expect.arrayContaining(['levkit/nginx:1.0', 'levrt-test/absent:1.0']))
      expect(r.missing).not.toContain('levrt-test/busybox:1.0')
      expect(r.environments).toBe(r.address === view.node_ip ? 1 : 0)
    }
    expect(
      await ctx.nodes[0].docker.listServices({ filters: JSON.stringify({ name: ['imagecheck'] }) }),
    ).toEqual([])
    await call(ctx.svc.url, 'GET', `/env/delete/${body.id}`)
  })

  it('services find each other by name across nodes; uids are apart, environments of a uid too', async () => {
    const ids = []
    for (const uid of [21, 21, 22])
      ids.push((await create(ctx.svc, { uid, compose_file: 'swarm/pair.yaml' })).body.id)
    for (const id of ids) expect((await settled(ctx.svc.url, id)).body.status).toBe(1)
    const [a, a2, b] = await Promise.all(ids.map((id) => containerOn(ctx.nodes, ctx.svc.instance, id, 'web')))
    const dbA = await containerOn(ctx.nodes, ctx.svc.instance, ids[0], 'db')
    const dbA2 = await containerOn(ctx.nodes, ctx.svc.instance, ids[1], 'db')
    const ipOf = async (c: typeof a, uid: number) =>
      (await c.container.inspect()).NetworkSettings.Networks[`levrt-envd-${ctx.svc.instance}-u${uid}`]
        .IPAddress
    // `db` is this environment's db, wherever it runs.
    expect(await resolves(a.container, 'db')).toBe(await ipOf(dbA, 21))
    expect(await resolves(a2.container, 'db')).toBe(await ipOf(dbA2, 21))
    expect((await get(a.container, 'db')).output).toMatch(/\r\n\r\ndb\n$/)
    // Another uid's overlay is out of reach, by address (the test spreads them: print where).
    console.log(
      `pair environments on: ${[a, a2, b].map((c) => c.node.name).join(', ')}; ` +
        `db of the first on ${dbA.node.name}`,
    )
    const bIp = await ipOf(b, 22)
    expect((await get(a.container, bIp)).code).not.toBe(0)
    expect((await get(a.container, await ipOf(dbA, 21))).code).toBe(0)
    expect(await resolves(b.container, 'db')).not.toBe(await ipOf(dbA, 21))
    for (const id of ids) await call(ctx.svc.url, 'GET', `/env/delete/${id}`)
  })

  it('30 environments spread over the three nodes', async () => {
    const ids: number[] = []
    for (let i = 0; i < 30; i++) ids.push((await create(ctx.svc, { uid: 100 + i })).body.id)
    const views = await Promise.all(ids.map((id) => settled(ctx.svc.url, id, 120_000)))
    const failed = views.filter((v) => v.body.status !== 1).map((v) => v.body.id)
    const reasons = ctx.svc
      .logs()
      .split('\n')
      .filter((l) => failed.some((id) => l.includes(`"env":${id},`)))
    expect(reasons).toEqual([])
    expect(views.map((v) => v.body.status)).toEqual(ids.map(() => 1))
    const spread = new Map<string, number>()
    for (const v of views) spread.set(v.body.node_ip, (spread.get(v.body.node_ip) ?? 0) + 1)
    console.log(`spread of 30 environments: ${[...spread].map(([ip, n]) => `${ip}: ${n}`).join(', ')}`)
    expect([...spread.keys()].sort()).toEqual(ctx.nodes.map((n) => n.address).sort())
    expect(new Set(views.map((v) => v.body.node_port)).size).toBe(30)
    // GET /metrics: environments by status and node, create latency, errors by reason.
    const metrics = await (await fetch(`${ctx.svc.url}/metrics`)).text()
    for (const [ip, n] of spread) {
      const line = new RegExp(`^levrt_envd_environments\\{status="created",node="${ip}"\\} (\\d+)$`, 'm')
      expect(Number(line.exec(metrics)?.[1])).toBeGreaterThanOrEqual(n)
    }
    expect(
      Number(/^levrt_envd_create_seconds_count\{backend="swarm"\} (\d+)$/m.exec(metrics)?.[1]),
    ).toBeGreaterThanOrEqual(30)
    expect(metrics).toMatch(/^levrt_envd_errors_total\{reason="image_missing"\} 1$/m)
    await Promise.all(ids.map((id) => call(ctx.svc.url, 'GET', `/env/delete/${id}`)))
  }, 180_000)

  it('expiry reclaims an environment: DELETED, and its services and secret gone', async () => {
    const { body } = await create(ctx.svc, {
      uid: 11,
      compose_file: 'swarm/flag.yaml',
      flag: 'f',
      expire: inSeconds(3),
    })
    expect((await settled(ctx.svc.url, body.id)).body.status).toBe(1)
    await sleep(
      Math.max(
        0,
        Date.parse((await call(ctx.svc.url, 'GET', `/env/get/${body.id}`)).body.expire) - Date.now(),
      ),
    )
    expect(await ctx.svc.envd.environments.reap()).toContain(body.id)
    expect((await call(ctx.svc.url, 'GET', `/env/get/${body.id}`)).body.status).toBe(3)
    expect(await swarmObjects(ctx.nodes, ctx.svc.instance, body.id)).toMatchObject({
      services: 0,
      secrets: 0,
    })
  })

  it('a restarted service adopts what runs; the sweep removes what the store does not know', async () => {
    const { body } = await create(ctx.svc, { uid: 9, compose_file: 'swarm/flag.yaml', flag: 'flag{again}' })
    const before = (await settled(ctx.svc.url, body.id)).body
    expect(before.status).toBe(1)
    await ctx.svc.close()
    ctx.svc = await startService({
      backend: 'swarm',
      data: ctx.svc.data,
      instance: ctx.svc.instance,
      reapEvery: 3600,
      maxPerUid: 40,
    })
    expect((await call(ctx.svc.url, 'GET', `/env/get/${body.id}`)).body).toEqual(before)
    expect((await call(ctx.svc.url, 'POST', `/env/renew/${body.id}`, {})).body.status).toBe(1)
    expect(await (await fetch(`http://${before.node_ip}:${before.node_port}/flag`)).text()).toBe(
      'flag{again}',
    )
    // Objects of an environment the store never had: a service and a secret with our labels.
    const manager = ctx.nodes[0].docker
    const labels = swarmLabels(ctx.svc.instance, 'envd:service:x', { id: 99999, uid: 9, challenge: 1 })
    await manager.createService({
      Name: `levrt-envd-${ctx.svc.instance}-99999-s0`,
      Labels: labels,
      TaskTemplate: { ContainerSpec: { Image: 'levrt-test/busybox:1.0', Args: ['sleep', '600'] } },
    })
    await manager.createSecret({
      Name: `levrt-envd-${ctx.svc.instance}-99999-flag`,
      Labels: labels,
      Data: 'eA==',
    })
    expect((await swarmObjects(ctx.nodes, ctx.svc.instance, 99999)).services).toBe(1)
    await ctx.svc.envd.environments.reap()
    expect(await swarmObjects(ctx.nodes, ctx.svc.instance, 99999)).toMatchObject({ services: 0, secrets: 0 })
    expect(
      await eventually(
        async () => (await swarmObjects(ctx.nodes, ctx.svc.instance, 99999)).containers === 0,
        20_000,
      ),
    ).toBe(true)
    // The adopted environment was left alone.
    expect((await call(ctx.svc.url, 'GET', `/env/get/${body.id}`)).body.status).toBe(1)
    expect((await swarmObjects(ctx.nodes, ctx.svc.instance, body.id)).services).toBe(1)
  })
})
