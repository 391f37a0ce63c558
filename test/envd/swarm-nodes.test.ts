import { describe, expect, it } from 'vitest'
import { listNodes } from '../../src/envd/backend/swarm/nodes'
import { call, eventually, settled } from './support'
import { create, labEngine, swarmObjects } from './swarm-support'
import { swarmSuite } from './swarm-suite'

describe('envd on a three-node swarm: nodes come and go', () => {
  const ctx = swarmSuite()

  it('a drained node: the swarm moves the task, get follows it to another node, same port', async () => {
    const { body } = await create(ctx.svc, { uid: 10, compose_file: 'swarm/flag.yaml', flag: 'flag{moved}' })
    const before = (await settled(ctx.svc.url, body.id)).body
    expect(before.status).toBe(1)
    const manager = ctx.nodes[0].docker
    const node = (await listNodes(manager)).find((n) => n.address === before.node_ip)!
    const setAvailability = async (availability: string) => {
      const info = await manager.getNode(node.id).inspect()
      await manager
        .getNode(node.id)
        .update({ version: info.Version.Index, ...info.Spec, Availability: availability })
    }
    await setAvailability('drain')
    try {
      const moved = async () => {
        const now = (await call(ctx.svc.url, 'GET', `/env/get/${body.id}`)).body
        return now.status === 1 && now.node_ip !== before.node_ip
      }
      expect(await eventually(moved, 30_000, 250)).toBe(true)
      const after = (await call(ctx.svc.url, 'GET', `/env/get/${body.id}`)).body
      expect(after.node_port).toBe(before.node_port)
      console.log(`drained ${node.name}: environment ${body.id} moved ${before.node_ip} -> ${after.node_ip}`)
      expect(await (await fetch(`http://${after.node_ip}:${after.node_port}/flag`)).text()).toBe(
        'flag{moved}',
      )
    } finally {
      await setAvailability('active')
    }
    await call(ctx.svc.url, 'GET', `/env/delete/${body.id}`)
  })

  it('a node whose engine stops: the swarm re-places the task, get follows it', async () => {
    // An environment on a worker: the manager must stay. Those on the manager stay meanwhile (the
    // swarm puts a new task where fewest run: deleting them would bring the next one back there).
    const onManager: number[] = []
    let id = 0
    let before: any
    for (let uid = 30; uid < 40 && !id; uid++) {
      const { body } = await create(ctx.svc, { uid, compose_file: 'swarm/flag.yaml', flag: 'flag{lost}' })
      const view = (await settled(ctx.svc.url, body.id)).body
      if (view.status === 1 && view.node_ip !== ctx.nodes[0].address) [id, before] = [body.id, view]
      else onManager.push(body.id)
    }
    for (const other of onManager) await call(ctx.svc.url, 'GET', `/env/delete/${other}`)
    expect(id).toBeGreaterThan(0)
    const lost = ctx.nodes.find((n) => n.address === before.node_ip)!
    const t0 = Date.now()
    labEngine('stop', lost)
    try {
      const moved = async () => {
        const now = (await call(ctx.svc.url, 'GET', `/env/get/${id}`)).body
        return now.status === 1 && now.node_ip !== before.node_ip
      }
      expect(await eventually(moved, 90_000, 500)).toBe(true)
      const after = (await call(ctx.svc.url, 'GET', `/env/get/${id}`)).body
      console.log(`engine of ${lost.name} stopped: moved to ${after.node_ip} in ${Date.now() - t0} ms`)
      expect(after.node_port).toBe(before.node_port)
      expect(await (await fetch(`http://${after.node_ip}:${after.node_port}/flag`)).text()).toBe('flag{lost}')
    } finally {
      labEngine('start', lost)
    }
    await call(ctx.svc.url, 'GET', `/env/delete/${id}`)
  }, 150_000)

  it('no node will take it (all drained): new and moved environments become ERROR with the reason', async () => {
    const manager = ctx.nodes[0].docker
    const all = await listNodes(manager)
    const setAll = (availability: string) =>
      Promise.all(
        all.map(async (n) => {
          const info = await manager.getNode(n.id).inspect()
          await manager
            .getNode(n.id)
            .update({ version: info.Version.Index, ...info.Spec, Availability: availability })
        }),
      )
    // Placed before the drain: one the swarm replaces (restart: always), one it does not (no restart).
    const always = (await create(ctx.svc, { uid: 51, compose_file: 'swarm/flag.yaml', flag: 'f' })).body.id
    const once = (await create(ctx.svc, { uid: 52 })).body.id
    for (const id of [always, once]) expect((await settled(ctx.svc.url, id)).body.status).toBe(1)
    await setAll('drain')
    try {
      const t0 = Date.now()
      const { body } = await create(ctx.svc, { uid: 50 })
      const reasonOf = (id: number) =>
        ctx.svc
          .logs()
          .split('\n')
          .find((l) => l.includes(`"env":${id},`) && l.includes('reason'))
      const unplaceable = /service web cannot be placed on any node: .*no suitable node/
      const expected: [number, RegExp][] = [
        [body.id, unplaceable],
        [always, unplaceable],
        [once, /service web has no task left to run: the last one is shutdown, and its restart policy/],
      ]
      const failed = async () =>
        (
          await Promise.all(
            expected.map(async ([id]) => (await call(ctx.svc.url, 'GET', `/env/get/${id}`)).body),
          )
        ).every((v) => v.status === 2 && v.node_ip === null)
      expect(await eventually(failed, 40_000, 250)).toBe(true)
      for (const [id, reason] of expected) {
        expect(reasonOf(id)).toMatch(reason)
        const gone = async () => (await swarmObjects(ctx.nodes, ctx.svc.instance, id)).services === 0
        expect(await eventually(gone, 10_000)).toBe(true)
      }
      console.log(`all drained: the three environments ERROR within ${Date.now() - t0} ms`)
    } finally {
      await setAll('active')
    }
  }, 90_000)
})
