import { randomBytes } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { NodeFirewall } from '../../src/envd/backend/docker/firewall'
import { iptables } from '../../src/envd/backend/docker/iptables'
import { ENVD_LABEL } from '../../src/envd/backend/docker/labels'
import { docker } from '../support/engine'
import { useStore } from '../support/env'
import { call, engineObjects, nodeRules, removeDir, settled, startService } from './support'

/**
 * The node-isolation rules themselves, on this host's real iptables: installed once however often
 * asked, replaced when a network of the same name comes back on another bridge, and found by a
 * sweep when their network went while the service was down. The interfaces named here do not
 * exist: a rule for them matches no packet.
 */

describe('the node firewall', () => {
  const instance = `t${randomBytes(4).toString('hex')}`
  const firewall = new NodeFirewall(iptables(), instance)
  const iface = (n: number) => `lvfw${n}${randomBytes(3).toString('hex')}`
  afterAll(async () => {
    await firewall.sweep(() => false)
    expect(nodeRules(instance)).toEqual([])
  })

  it('installs two commented rules per network and one jump, however often asked', async () => {
    const a = { name: `levrt-envd-${instance}-u1`, iface: iface(1) }
    await Promise.all([firewall.isolate(a), firewall.isolate(a), firewall.isolate(a)])
    const rules = nodeRules(instance)
    expect(rules.filter((r) => r.startsWith('-A INPUT'))).toHaveLength(1)
    expect(
      rules.filter((r) => r.includes(`-i ${a.iface} `) && r.includes(`levrt-envd:${a.name}`)),
    ).toHaveLength(2)
    expect(await firewall.listed()).toEqual([a, a])
  })

  it('a network of the same name on another bridge replaces the old rules', async () => {
    const b = { name: `levrt-envd-${instance}-u2`, iface: iface(2) }
    const again = { ...b, iface: iface(3) }
    await firewall.isolate(b)
    await firewall.isolate(again)
    expect((await firewall.listed()).filter((n) => n.name === b.name)).toEqual([again, again])
  })

  it('a sweep removes the rules of networks no one uses, and the chain once empty', async () => {
    const names = new Set((await firewall.listed()).map((n) => n.name))
    expect(names.size).toBe(2)
    const [keep] = names
    expect(await firewall.sweep((name) => name === keep)).toHaveLength(1)
    expect(new Set((await firewall.listed()).map((n) => n.name))).toEqual(new Set([keep]))
    await firewall.release(keep)
    expect(nodeRules(instance)).toEqual([])
  })
})

describe('rules of networks removed behind the service', () => {
  it('are swept at its next start', async () => {
    const env = useStore('embedded')
    let svc = await startService()
    const { data, instance } = svc
    try {
      const { body } = await call(svc.url, 'POST', '/env/create', {
        uid: 11,
        challenge: 1,
        compose_file: 'web.yaml',
      })
      expect((await settled(svc.url, body.id)).body.status).toBe(1)
      await svc.close()
      expect(nodeRules(instance)).toHaveLength(4) // the chain, the jump and the network's two rules
      // What `levrt gc --all` or an operator's `docker rm` would do while the service is down.
      const filters = JSON.stringify({ label: [`${ENVD_LABEL.instance}=${instance}`] })
      for (const c of await docker.listContainers({ all: true, filters }))
        await docker.getContainer(c.Id).remove({ force: true, v: true })
      for (const v of (await docker.listVolumes({ filters })).Volumes ?? [])
        await docker.getVolume(v.Name).remove()
      for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove()
      svc = await startService({ data, instance })
      expect(nodeRules(instance)).toEqual([])
    } finally {
      for (const e of (await call(svc.url, 'GET', '/env/list')).body)
        await call(svc.url, 'GET', `/env/delete/${e.id}`)
      await svc.close()
      removeDir(data)
      env.restore()
    }
    expect(await engineObjects(instance)).toEqual({ containers: 0, networks: 0, volumes: 0 })
    expect(nodeRules(instance)).toEqual([])
  })
})
