import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { connect, createServer, type Server } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, eventually, removeDir, settled, startService } from './support'
import { swarmSuite } from './swarm-suite'
import { containerOn, create, labRules, run, swarmObjects, type LabNode } from './swarm-support'

/**
 * Issue 19 on a swarm, as a player with a shell in a challenge would try it: from a container
 * of an environment on a worker, nothing of the node answers (a listener in the node's own
 * network namespace, on its address and on its docker_gwbridge address), nor another node, nor
 * envd's host; players still reach the published port from outside.
 */
const MARK = `swarm-node-${randomBytes(4).toString('hex')}`
const PORT = 39000 + Math.floor(Math.random() * 500)

/** A TCP listener in a node's network namespace that answers MARK (stands for the node's services). */
function listenOn(node: LabNode): ChildProcess {
  const script = `require('net').createServer((s) => s.end('${MARK}\\n')).listen(${PORT}, '0.0.0.0')`
  return spawn('nsenter', [`--net=/var/run/netns/${node.name}`, process.execPath, '-e', script], {
    stdio: 'ignore',
  })
}

/** From inside a container: connect, and what the other end says (busybox nc, bounded). */
async function reach(container: Parameters<typeof run>[0], address: string): Promise<string> {
  return (await run(container, ['sh', '-c', `nc -w 2 ${address} ${PORT} </dev/null`])).output
}

/** What a listener says to this host (empty when nothing answers). */
function banner(address: string): Promise<string> {
  return new Promise((resolve) => {
    let text = ''
    const socket = connect({ host: address, port: PORT, timeout: 2000 })
    socket.on('data', (c) => (text += String(c)))
    socket.on('close', () => resolve(text))
    socket.on('timeout', () => socket.destroy())
    socket.on('error', () => resolve(text))
  })
}

describe('envd on a three-node swarm: a challenge reaches nothing of the nodes', () => {
  const ctx = swarmSuite()
  const listeners: ChildProcess[] = []
  let host: Server

  beforeAll(async () => {
    listeners.push(...ctx.nodes.map(listenOn))
    host = createServer((s) => s.end(`${MARK}\n`))
    await new Promise<void>((done) => host.listen(PORT, '0.0.0.0', done))
  })

  afterAll(async () => {
    for (const l of listeners) l.kill()
    await new Promise((done) => host.close(done))
  })

  it("from a worker's challenge: not its node, not the others, not envd's host; its port still answers", async () => {
    const onManager: number[] = []
    let id = 0
    let view: any
    for (let uid = 60; uid < 70 && !id; uid++) {
      const { body } = await create(ctx.svc, { uid })
      const done = (await settled(ctx.svc.url, body.id)).body
      if (done.status === 1 && done.node_ip !== ctx.nodes[0].address) [id, view] = [body.id, done]
      else onManager.push(body.id)
    }
    for (const other of onManager) await call(ctx.svc.url, 'GET', `/env/delete/${other}`)
    expect(id).toBeGreaterThan(0)
    const { node, container } = await containerOn(ctx.nodes, ctx.svc.instance, id, 'web')
    const gateway: string =
      (await node.docker.getNetwork('docker_gwbridge').inspect()).IPAM?.Config?.[0]?.Gateway ?? ''
    const labHost = ctx.nodes[0].address.replace(/\.\d+$/, '.1')
    const targets = [
      node.address,
      gateway,
      ...ctx.nodes.filter((n) => n !== node).map((n) => n.address),
      labHost,
    ]
    // The control: from outside every listener answers.
    for (const a of [...ctx.nodes.map((n) => n.address), labHost]) expect(await banner(a)).toContain(MARK)
    const said = await Promise.all(targets.map(async (a) => `${a}: ${await reach(container, a)}`))
    for (const line of said) expect(line).not.toContain(MARK)
    console.log(`challenge on ${node.name}: ${targets.join(', ')} unreachable`)
    const page = await fetch(`http://${view.node_ip}:${view.node_port}/hostname`)
    expect(page.status).toBe(200)
    expect(labRules(ctx.nodes).length).toBeGreaterThan(0)
    await call(ctx.svc.url, 'GET', `/env/delete/${id}`)
  })

  it('--block-egress: an internal overlay, the port published by a forwarder; no way out', async () => {
    // No guard here: the overlay alone must leave no way out.
    const egress = await startService({ backend: 'swarm', blockEgress: true, nodeIsolation: false })
    try {
      const { body } = await create(egress, {
        uid: 70,
        compose_file: 'swarm/flag.yaml',
        flag: 'flag{inside}',
      })
      const view = (await settled(egress.url, body.id)).body
      expect(view.status).toBe(1)
      expect(await (await fetch(`http://${view.node_ip}:${view.node_port}/flag`)).text()).toBe('flag{inside}')
      const { container } = await containerOn(ctx.nodes, egress.instance, body.id, 'web')
      expect((await run(container, ['ip', 'route'])).output).not.toMatch(/default/)
      const labHost = ctx.nodes[0].address.replace(/\.\d+$/, '.1')
      expect(await banner(labHost)).toContain(MARK)
      expect(await reach(container, labHost)).not.toContain(MARK)
      expect((await call(egress.url, 'GET', `/env/delete/${body.id}`)).body).toEqual({ status: 3 })
      await egress.envd.environments.reap()
      const none = { services: 0, secrets: 0, networks: 0, containers: 0 }
      const gone = async () =>
        JSON.stringify(await swarmObjects(ctx.nodes, egress.instance)) === JSON.stringify(none)
      expect(await eventually(gone, 30_000)).toBe(true)
    } finally {
      await egress.close()
      removeDir(egress.data)
    }
  }, 120_000)
})
