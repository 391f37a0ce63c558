import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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

/** Creates an environment and waits until it is CREATED; returns its id. */
async function created(svc: Service, uid: number, composeFile = 'web.yaml'): Promise<number> {
  const { body } = await call(svc.url, 'POST', '/env/create', {
    uid,
    challenge: 1,
    compose_file: composeFile,
  })
  expect((await settled(svc.url, body.id)).body.status).toBe(1)
  return body.id
}

async function addressOf(svc: Service, env: number, uid: number): Promise<string> {
  const info = await docker.getContainer(await containerOf(svc.instance, env, 'test')).inspect()
  return info.NetworkSettings.Networks[names.network(svc.instance, uid)].IPAddress
}

/** From a busybox container on `uid`'s network (as a player's shell in an environment would be): can it fetch `ip`? */
async function reaches(svc: Service, uid: number, ip: string): Promise<boolean> {
  const helper = await docker.createContainer({
    Image: 'levrt/busybox',
    // busybox's own `wget -T` crashes (static build); `timeout` bounds it instead.
    Cmd: ['timeout', '3', 'wget', '-qO-', `http://${ip}/`],
    Labels: { 'io.levrt.test': 'envd-isolation' },
    // An init as pid 1: `timeout` signals the process it runs, and a pid 1 without a handler ignores signals.
    HostConfig: { NetworkMode: names.network(svc.instance, uid), Init: true },
  })
  try {
    await helper.start()
    const { StatusCode } = (await helper.wait()) as { StatusCode: number }
    return StatusCode === 0
  } finally {
    await helper.remove({ force: true })
  }
}

describe('per-uid networks', () => {
  let env: ReturnType<typeof useStore>
  let svc: Service
  let a1: number
  let a2: number
  let b1: number

  beforeAll(async () => {
    env = useStore('embedded')
    svc = await startService()
    ;[a1, a2, b1] = await Promise.all([created(svc, 101), created(svc, 101), created(svc, 202)])
  }, 120_000)
  afterAll(async () => {
    await Promise.all([a1, a2, b1].map((id) => call(svc.url, 'GET', `/env/delete/${id}`)))
    await docker
      .listContainers({ all: true, filters: JSON.stringify({ label: ['io.levrt.test=envd-isolation'] }) })
      .then((cs) => Promise.all(cs.map((c) => docker.getContainer(c.Id).remove({ force: true }))))
    await svc.close()
    expect(await engineObjects(svc.instance)).toEqual({ containers: 0, networks: 0, volumes: 0 })
    expect(nodeRules(svc.instance)).toEqual([])
    removeDir(svc.data)
    env.restore()
  })

  it('one uid has one network, on a small subnet of our pool', async () => {
    const info = await docker.getNetwork(names.network(svc.instance, 101)).inspect()
    expect(info.IPAM?.Config?.[0]?.Subnet).toMatch(/^10\.78\.\d+\.\d+\/27$/)
    expect(Object.keys(info.Containers ?? {})).toHaveLength(2)
  })

  it("a container of one uid reaches that uid's environments", async () => {
    expect(await reaches(svc, 101, await addressOf(svc, a1, 101))).toBe(true)
    expect(await reaches(svc, 101, await addressOf(svc, a2, 101))).toBe(true)
  })

  it("a container of one uid cannot reach another uid's environment", async () => {
    expect(await reaches(svc, 101, await addressOf(svc, b1, 202))).toBe(false)
    expect(await reaches(svc, 202, await addressOf(svc, a1, 101))).toBe(false)
  })
})

/**
 * A host outside every container network, on this machine: a network namespace of our own with
 * a veth pair (198.18.77.0/30, the benchmarking range) and a TCP listener in it. Reaching it
 * from a container takes forwarding through the host, which is what "outbound" means.
 */
function outsideHost(): { address: string; port: number; close(): void } {
  const tag = randomBytes(3).toString('hex')
  const [ns, outer, inner] = [`levrt-egress-${tag}`, `lvh${tag}`, `lvn${tag}`]
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' })
  ip('netns', 'add', ns)
  ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', inner)
  ip('link', 'set', inner, 'netns', ns)
  ip('addr', 'add', '198.18.77.1/30', 'dev', outer)
  ip('link', 'set', outer, 'up')
  ip('netns', 'exec', ns, 'ip', 'addr', 'add', '198.18.77.2/30', 'dev', inner)
  ip('netns', 'exec', ns, 'ip', 'link', 'set', inner, 'up')
  const listener: ChildProcess = spawn(
    'ip',
    ['netns', 'exec', ns, 'busybox', 'nc', '-ll', '-p', '8080', '-e', 'echo', 'hi'],
    { stdio: 'ignore' },
  )
  return {
    address: '198.18.77.2',
    port: 8080,
    close() {
      listener.kill()
      execFileSync('ip', ['link', 'del', outer], { stdio: 'ignore' })
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' })
    },
  }
}

describe('--block-egress', () => {
  let env: ReturnType<typeof useStore>
  let open: Service
  let blocked: Service
  let outside: ReturnType<typeof outsideHost>

  beforeAll(async () => {
    env = useStore('embedded')
    ;[open, blocked] = await Promise.all([startService(), startService({ blockEgress: true })])
    outside = outsideHost()
  })
  afterAll(async () => {
    outside.close()
    for (const svc of [open, blocked]) {
      for (const e of (await call(svc.url, 'GET', '/env/list')).body)
        await call(svc.url, 'GET', `/env/delete/${e.id}`)
      await svc.close()
      expect(await engineObjects(svc.instance)).toEqual({ containers: 0, networks: 0, volumes: 0 })
      expect(nodeRules(svc.instance)).toEqual([])
      removeDir(svc.data)
    }
    env.restore()
  })

  const dial = (svc: Service, id: number) =>
    containerOf(svc.instance, id, 'test').then((c) =>
      exec(c, ['timeout', '3', 'bash', '-c', `exec 3<>/dev/tcp/${outside.address}/${outside.port}`]),
    )

  it('an environment without it can open connections out', async () => {
    const id = await created(open, 303)
    expect((await dial(open, id)).code).toBe(0)
    await call(open.url, 'GET', `/env/delete/${id}`)
  })

  it('with it, connections out fail while players still reach the published port', async () => {
    const id = await created(blocked, 303)
    expect((await dial(blocked, id)).code).not.toBe(0)
    const { body } = await call(blocked.url, 'GET', `/env/get/${id}`)
    expect(await fetch(`http://127.0.0.1:${body.node_port}/`).then((r) => r.text())).toContain('levkit/nginx')
    const info = await docker.getNetwork(names.network(blocked.instance, 303)).inspect()
    expect(info.Internal).toBe(true)
    expect((await call(blocked.url, 'GET', `/env/delete/${id}`)).body).toEqual({ status: 3 })
  })
})
