import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:net'
import { networkInterfaces } from 'node:os'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { names } from '../../src/envd/backend/docker/labels'
import { docker } from '../support/engine'
import { useStore } from '../support/env'
import {
  call,
  containerOf,
  engineObjects,
  exec,
  nodeRules,
  removeDir,
  settled,
  startService,
  type Service,
} from './support'

/**
 * Issue 19, as a player with a shell in a challenge would try it: from inside an environment's
 * container, nothing of the node answers (the service's API on a non-loopback address, with or
 * without the token, and a listener of the test's own), while players still reach the published
 * port. Every address tried is this machine's own (a bridge gateway, its interfaces).
 */

const TOKEN = `tok-${randomBytes(12).toString('hex')}`
const AUTH = { Authorization: `Bearer ${TOKEN}` }
const MARK = `node-listener-${randomBytes(4).toString('hex')}`

/** The node's own IPv4 addresses on its interfaces (not loopback, not the service's bridges). */
function nodeAddresses(): string[] {
  const all = Object.entries(networkInterfaces()).filter(([name]) => !/^(br-|veth|lv)/.test(name))
  return all
    .flatMap(([, a]) => a ?? [])
    .filter((a) => a.family === 'IPv4' && !a.internal)
    .map((a) => a.address)
}

async function gatewayOf(svc: Service, uid: number): Promise<string> {
  const info = await docker.getNetwork(names.network(svc.instance, uid)).inspect()
  const subnet = info.IPAM?.Config?.[0]?.Subnet
  if (!subnet) throw new Error(`no subnet on the network of uid ${uid}`)
  // The engine gives the bridge (the node's side) the subnet's first address.
  const [a, b, c, d] = subnet.split('/')[0].split('.').map(Number)
  return `${a}.${b}.${c}.${d + 1}`
}

async function created(svc: Service, uid: number, flag?: string, compose = 'web.yaml'): Promise<number> {
  const { body } = await call(
    svc.url,
    'POST',
    '/env/create',
    { uid, challenge: 7, compose_file: compose, flag },
    AUTH,
  )
  expect((await settled(svc.url, body.id, 60_000, AUTH)).body.status).toBe(1)
  return body.id
}

/** From inside a container: a TCP connect to ip:port, then `request` written, and what comes back. */
async function probe(
  container: string,
  ip: string,
  port: number,
  request = '',
): Promise<{ reached: boolean; output: string }> {
  // busybox's `wget -T` crashes; bash's /dev/tcp is bounded by `timeout` instead.
  const script = `exec 3<>/dev/tcp/${ip}/${port} || exit 7; printf '${request}' >&3; timeout 1 cat <&3; exit 0`
  const { code, output } = await exec(container, ['timeout', '3', 'bash', '-c', script])
  return { reached: code === 0, output }
}

const httpGet = (path: string, auth = '') => `GET ${path} HTTP/1.0\\r\\nHost: node\\r\\n${auth}\\r\\n`

describe('node isolation (issue 19)', () => {
  let env: ReturnType<typeof useStore>
  let listener: Server
  let listenerPort: number
  let guarded: Service // token, 0.0.0.0
  let open: Service // --insecure-no-token, 0.0.0.0
  let egress: Service // --block-egress
  let unguarded: Service // --no-node-isolation: the control that shows the probe can reach
  const apiPort = (svc: Service) => Number(new URL(svc.url).port)
  const ids: Record<'guarded' | 'open' | 'egress' | 'unguarded', number[]> = {
    guarded: [],
    open: [],
    egress: [],
    unguarded: [],
  }

  beforeAll(async () => {
    // The MongoDB store: its URL is one more thing of the operator's that must not reach a challenge.
    env = useStore({ mongoUrl: inject('mongoUrl'), db: `levtest_envd_iso_${randomBytes(4).toString('hex')}` })
    listener = createServer((socket) => socket.end(`${MARK}\n`))
    await new Promise<void>((done) => listener.listen(0, '0.0.0.0', done))
    listenerPort = (listener.address() as { port: number }).port
    ;[guarded, open, egress, unguarded] = await Promise.all([
      startService({ listen: '0.0.0.0:0', token: TOKEN }),
      startService({ listen: '0.0.0.0:0', insecureNoToken: true }),
      startService({ listen: '0.0.0.0:0', token: TOKEN, blockEgress: true }),
      startService({ listen: '0.0.0.0:0', insecureNoToken: true, nodeIsolation: false }),
    ])
    const [g1, g2, o1, e1, u1] = await Promise.all([
      created(guarded, 601, 'flag{six-o-one}'),
      created(guarded, 602, 'flag{six-o-two}'),
      created(open, 603),
      created(egress, 604),
      created(unguarded, 605),
    ])
    Object.assign(ids, { guarded: [g1, g2], open: [o1], egress: [e1], unguarded: [u1] })
  }, 180_000)

  afterAll(async () => {
    for (const svc of [guarded, open, egress, unguarded].filter(Boolean)) {
      const { body } = await call(svc.url, 'GET', '/env/list', undefined, AUTH)
      for (const e of body) await call(svc.url, 'GET', `/env/delete/${e.id}`, undefined, AUTH)
      await svc.close()
      expect(await engineObjects(svc.instance)).toEqual({ containers: 0, networks: 0, volumes: 0 })
      expect(nodeRules(svc.instance)).toEqual([])
      removeDir(svc.data)
    }
    await new Promise((done) => listener.close(done))
    env.restore()
  }, 120_000)

  it("the API listens on the node's addresses (what a container would try)", async () => {
    const [address] = nodeAddresses()
    expect(address).toBeDefined()
    expect(
      (await call(`http://${address}:${apiPort(guarded)}`, 'GET', '/env/list', undefined, AUTH)).status,
    ).toBe(200)
    expect((await call(`http://${address}:${apiPort(open)}`, 'GET', '/env/list')).status).toBe(200)
  })

  it('without node isolation a challenge container does reach the node: the probe tells', async () => {
    const c = await containerOf(unguarded.instance, ids.unguarded[0], 'test')
    const gateway = await gatewayOf(unguarded, 605)
    expect((await probe(c, gateway, listenerPort)).output).toContain(MARK)
    const api = await probe(c, gateway, apiPort(open), httpGet('/env/list'))
    expect(api.output).toMatch(/^HTTP\/1\.1 200/)
  })

  it("from a challenge container nothing of the node answers: the API (with and without the token), the node's own ports", async () => {
    const targets = [
      { port: apiPort(guarded), request: httpGet('/env/list', `Authorization: Bearer ${TOKEN}\\r\\n`) },
      { port: apiPort(guarded), request: httpGet('/env/list') },
      { port: apiPort(open), request: httpGet('/env/delete/1') },
      { port: listenerPort, request: '' },
    ]
    const from = [
      { svc: guarded, id: ids.guarded[0], uid: 601 },
      { svc: open, id: ids.open[0], uid: 603 },
      { svc: egress, id: ids.egress[0], uid: 604 },
    ]
    const tries = await Promise.all(
      from.map(async ({ svc, id, uid }) => {
        const c = await containerOf(svc.instance, id, 'test')
        const addresses = [await gatewayOf(svc, uid), ...nodeAddresses()]
        return Promise.all(
          addresses.flatMap((ip) =>
            targets.map(async (t) => ({ ip, port: t.port, ...(await probe(c, ip, t.port, t.request)) })),
          ),
        )
      }),
    )
    const reached = tries.flat().filter((t) => t.reached || t.output)
    expect(reached).toEqual([])
    // The rules are IPv4's: there is no IPv6 inside to go around them.
    const c = await containerOf(guarded.instance, ids.guarded[0], 'test')
    expect((await exec(c, ['cat', '/proc/sys/net/ipv6/conf/all/disable_ipv6'])).output.trim()).toBe('1')
    expect((await call(open.url, 'GET', '/env/list')).body).toHaveLength(1) // the delete above never arrived
  })

  it('the published port still answers players, on loopback and on the node address', async () => {
    for (const [svc, id] of [
      [guarded, ids.guarded[0]],
      [egress, ids.egress[0]],
    ] as const) {
      const { body } = await call(svc.url, 'GET', `/env/get/${id}`, undefined, AUTH)
      for (const host of ['127.0.0.1', ...nodeAddresses()]) {
        expect(await fetch(`http://${host}:${body.node_port}/`).then((r) => r.text())).toContain(
          'levkit/nginx',
        )
      }
    }
  })

  it("another uid's environment stays unreachable", async () => {
    const [a, b] = ids.guarded
    const from = await containerOf(guarded.instance, a, 'test')
    const target = await docker.getContainer(await containerOf(guarded.instance, b, 'test')).inspect()
    const ip = target.NetworkSettings.Networks[names.network(guarded.instance, 602)].IPAddress
    expect(await probe(from, ip, 80, httpGet('/'))).toEqual({ reached: false, output: '' })
  })

  it('--block-egress still leaves no way out: not to another network, not to the node', async () => {
    const from = await containerOf(egress.instance, ids.egress[0], 'test')
    const other = await docker
      .getContainer(await containerOf(unguarded.instance, ids.unguarded[0], 'test'))
      .inspect()
    const ip = other.NetworkSettings.Networks[names.network(unguarded.instance, 605)].IPAddress
    expect(await probe(from, ip, 80, httpGet('/'))).toEqual({ reached: false, output: '' })
    expect(await probe(from, await gatewayOf(egress, 604), listenerPort)).toEqual({
      reached: false,
      output: '',
    })
  })

  it("nothing of the operator's reaches a challenge container: no token, store URL, host path or other uid's flag", async () => {
    const c = await containerOf(guarded.instance, ids.guarded[0], 'test')
    const info = await docker.getContainer(c).inspect()
    const seen = JSON.stringify([
      info.Config.Env,
      info.Config.Labels,
      info.Mounts,
      info.HostConfig.Binds,
      info.HostConfig.Mounts,
    ])
    const inside = (await exec(c, ['sh', '-c', 'env; cat /proc/self/mountinfo'])).output
    for (const secret of [TOKEN, inject('mongoUrl'), guarded.data, env.home, 'flag{six-o-two}']) {
      expect(seen).not.toContain(secret)
      expect(inside).not.toContain(secret)
    }
    expect(info.Mounts.map((m) => m.Type)).toEqual(['volume'])
    expect(await exec(c, ['cat', '/flag/flag'])).toEqual({ code: 0, output: 'flag{six-o-one}' })
  })

  it('the rules are commented per network, survive a restart without doubling, and go with the network', async () => {
    const rules = nodeRules(guarded.instance)
    for (const uid of [601, 602])
      expect(
        rules.filter((r) => r.includes(`levrt-envd:${names.network(guarded.instance, uid)}`)),
      ).toHaveLength(2)
    expect(rules.filter((r) => r.startsWith('-A INPUT'))).toHaveLength(1)
    const { data, instance } = guarded
    await guarded.close()
    expect(nodeRules(instance)).toEqual(rules) // environments (and their rules) outlive the process
    guarded = await startService({ listen: '0.0.0.0:0', token: TOKEN, data, instance })
    expect(nodeRules(instance).sort()).toEqual([...rules].sort())
    const c = await containerOf(instance, ids.guarded[0], 'test')
    expect((await probe(c, await gatewayOf(guarded, 601), listenerPort)).reached).toBe(false)
    await call(guarded.url, 'GET', `/env/delete/${ids.guarded[1]}`, undefined, AUTH)
    expect(nodeRules(instance).some((r) => r.includes(names.network(instance, 602)))).toBe(false)
    expect(nodeRules(instance).filter((r) => r.includes(names.network(instance, 601)))).toHaveLength(2)
  })
})
