import { cpSync, mkdtempSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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

/**
 * Compose files as challenge authors write them (test/fixtures/envd/authors/), deployed through
 * the real HTTP API on the real engine, with what each key does checked inside the containers
 * and read back from the engine.
 */

const AUTHORS = resolve(__dirname, '../fixtures/envd/authors')
const MiB = 1024 * 1024

function authorsData(): string {
  const dir = mkdtempSync(join(tmpdir(), 'levrt-envd-authors-'))
  cpSync(AUTHORS, join(dir, 'compose'), { recursive: true })
  return dir
}

/** The first line a TCP server sends on connect. */
function firstLine(port: number): Promise<string> {
  return new Promise((done, fail) => {
    const socket = connect({ host: '127.0.0.1', port })
    let text = ''
    socket.on('data', (c: Buffer) => {
      text += c.toString('utf8')
      if (text.includes('\n')) {
        socket.destroy()
        done(text.split('\n')[0])
      }
    })
    socket.on('error', fail)
    setTimeout(() => (socket.destroy(), done(text)), 5000)
  })
}

/** A variable as the container sees it (busybox has no printenv). */
const env = async (container: string, name: string) =>
  (await exec(container, ['sh', '-c', `printf %s "$${name}"`])).output

describe('compose files as authors write them', () => {
  let store: ReturnType<typeof useStore>
  let svc: Service
  let uid = 100
  const create = (compose_file: string, extra: Record<string, unknown> = {}) =>
    call(svc.url, 'POST', '/env/create', { uid: uid++, challenge: 7, compose_file, ...extra })

  /** Why environments failed, from the service's log: shown when a test expected CREATED. */
  const failures = () =>
    svc
      .logs()
      .split('\n')
      .filter((l) => l.includes('environment failed'))
      .join('\n')

  beforeAll(async () => {
    store = useStore('embedded')
    // A tag of this file's own: other files untag theirs when they end.
    await docker.getImage('levrt/busybox:latest').tag({ repo: 'levrt-test/author-busybox', tag: '1.0' })
    // A host variable the files name: it must never reach them.
    process.env.UNSET_VAR = 'leaked from the host'
    svc = await startService({ data: authorsData(), readyTimeout: 40 })
  })
  afterAll(async () => {
    delete process.env.UNSET_VAR
    for (const e of (await call(svc.url, 'GET', '/env/list')).body)
      await call(svc.url, 'GET', `/env/delete/${e.id}`)
    await svc.close()
    expect(await engineObjects(svc.instance)).toEqual({ containers: 0, networks: 0, volumes: 0 })
    removeDir(svc.data)
    await docker.getImage('levrt-test/author-busybox:1.0').remove({ noprune: true })
    store.restore()
  })

  it('is CREATED only once its healthchecks pass, after the services it waits for', async () => {
    const t0 = Date.now()
    const { body } = await create('healthy')
    expect(body.status).toBe(0)
    // The app's port opens at once, but its check passes 4 s after it starts (after db is healthy).
    await sleep(2500)
    expect((await call(svc.url, 'GET', `/env/get/${body.id}`)).body.status).toBe(0)
    const done = (await settled(svc.url, body.id)).body
    expect(done.status).toBe(1)
    expect(Date.now() - t0).toBeGreaterThan(4000)
    const app = await containerOf(svc.instance, body.id, 'app')
    const info = await docker.getContainer(app).inspect()
    expect(info.State.Health?.Status).toBe('healthy')
    const ready = await exec(app, ['sh', '-c', 'test -f /tmp/ready && echo ready'])
    expect(ready, ready.output).toEqual({ code: 0, output: 'ready\n' })
    const db = await docker.getContainer(await containerOf(svc.instance, body.id, 'db')).inspect()
    expect(db.State.Health?.Status).toBe('healthy')
    // The seeding job ran to its end before the app started, then went; its volume stayed.
    await expect(containerOf(svc.instance, body.id, 'seed')).rejects.toThrow(/no container/)
    expect((await exec(app, ['wget', '-qO-', 'http://127.0.0.1:8080/index.html'])).output).toBe('seeded\n')
    // Harmless keys, honoured: tty, stdin, init, stop grace (at most 60 s), scalar labels, the capped log.
    expect(info.Config).toMatchObject({ Tty: true, OpenStdin: true, StopTimeout: 60 })
    expect(info.Config.Labels).toMatchObject({
      'ctf.category': 'web',
      'ctf.points': '500',
      'ctf.dynamic': 'true',
    })
    expect(info.HostConfig).toMatchObject({ Init: true, SecurityOpt: ['no-new-privileges:true'] })
    expect(info.HostConfig.LogConfig).toEqual({
      Type: 'json-file',
      Config: { 'max-size': '1m', 'max-file': '2' },
    })
    // The shared network and the link are replaced by the uid network: db by its name.
    expect((await exec(app, ['sh', '-c', 'echo PING | nc -w 2 db 6379'])).output).toBe('+PONG\r\n')
    // Every remaining container runs: renew accepts it.
    expect((await call(svc.url, 'POST', `/env/renew/${body.id}`, {})).body.status).toBe(1)
    expect((await call(svc.url, 'GET', `/env/delete/${body.id}`)).body).toEqual({ status: 3 })
    expect(await engineObjects(svc.instance, body.id)).toEqual({ containers: 0, networks: 0, volumes: 0 })
  })

  it('a healthcheck that never passes ends in ERROR with what it said, never CREATED', async () => {
    const { body } = await create('unhealthy')
    const seen = new Set<number>()
    for (let i = 0; i < 300; i++) {
      const s = (await call(svc.url, 'GET', `/env/get/${body.id}`)).body.status
      seen.add(s)
      if (s !== 0) break
      await sleep(100)
    }
    expect([...seen]).toEqual([0, 2])
    expect(svc.logs()).toMatch(/app is unhealthy: the last check exited 1 saying not ready yet/)
    expect(await engineObjects(svc.instance, body.id)).toEqual({ containers: 0, networks: 0, volumes: 0 })
  })

  it('the flag reaches FLAG=${FLAG}, ${FLAG} in a longer value, a bare FLAG, an env_file and the flag volume', async () => {
    const flag = 'flag{where-authors-put-it}'
    const { body } = await create('flag-env', { flag })
    const got = (await settled(svc.url, body.id)).body
    expect(got.status).toBe(1)
    const pwn = await containerOf(svc.instance, body.id, 'pwn')
    const helper = await containerOf(svc.instance, body.id, 'helper')
    expect(await env(pwn, 'FLAG')).toBe(flag)
    expect(await env(pwn, 'SECOND_FLAG')).toBe(flag)
    expect(await env(pwn, 'PLAIN')).toBe('from env_file')
    expect(await env(pwn, 'GREETING')).toBe('hello')
    expect((await exec(pwn, ['cat', '/home/ctf/flag/flag'])).output).toBe(flag)
    expect(await env(helper, 'FLAG')).toBe(flag)
    expect(await env(helper, 'WRAPPED')).toBe(`flag is ${flag}`)
    expect(await env(helper, 'FALLBACK')).toBe(flag)
    // The plain keys of the helper, as the engine has them.
    const h = await docker.getContainer(helper).inspect()
    expect(h.Config).toMatchObject({
      WorkingDir: '/tmp',
      User: '1000:1000',
      Hostname: 'helper-box',
      StopSignal: 'SIGKILL',
    })
    expect(h.Config).toMatchObject({ Entrypoint: ['sh', '-c'], Cmd: ['exec sleep 3600'] })
    expect(h.Config.Labels).toMatchObject({ 'ctf.role': 'helper', 'ctf.hidden': '' })
    expect(h.HostConfig.ReadonlyRootfs).toBe(true)
    expect(h.HostConfig.CapAdd).toContain('SYS_CHROOT')
    expect(h.HostConfig.CapAdd).not.toContain('NET_RAW')
    expect((await exec(helper, ['id', '-u'])).output).toBe('1000\n')
    // What a player reaches: the challenge serves the flag it read from $$FLAG.
    expect(await firstLine(got.node_port)).toBe(flag)
    // Never listed, logged or labelled.
    expect(JSON.stringify((await call(svc.url, 'GET', '/env/list')).body)).not.toContain(flag)
    expect(svc.logs()).not.toContain(flag)
    expect(JSON.stringify((await docker.getContainer(pwn).inspect()).Config.Labels)).not.toContain(flag)
    await call(svc.url, 'GET', `/env/delete/${body.id}`)
  })

  it('a deploy cut short by a stop resumes with the flag in its variables', async () => {
    const first = await startService({ data: authorsData() })
    const { body } = await call(first.url, 'POST', '/env/create', {
      uid: 1,
      challenge: 1,
      compose_file: 'flag-env',
      flag: 'flag{resumed-variable}',
    })
    await first.close() // while it is CREATING
    const second = await startService({ data: first.data, instance: first.instance })
    try {
      expect((await settled(second.url, body.id)).body.status).toBe(1)
      const helper = await containerOf(second.instance, body.id, 'helper')
      expect(await env(helper, 'WRAPPED')).toBe('flag is flag{resumed-variable}')
    } finally {
      await call(second.url, 'GET', `/env/delete/${body.id}`)
      await second.close()
      expect(await engineObjects(second.instance)).toEqual({ containers: 0, networks: 0, volumes: 0 })
      removeDir(second.data)
    }
  })

  it('a create without a flag gets an empty flag; ${FLAG:-default} then gives the default', async () => {
    const { body } = await create('flag-env')
    expect((await settled(svc.url, body.id)).body.status).toBe(1)
    const helper = await containerOf(svc.instance, body.id, 'helper')
    expect(await env(helper, 'FLAG')).toBe('')
    expect(await env(helper, 'FALLBACK')).toBe('no flag given')
    await call(svc.url, 'GET', `/env/delete/${body.id}`)
  })

  it('a create with a flag for a file with no place for it is refused (422) and says how to receive it', async () => {
    const refused = await create('refused/no-flag-place.yaml', { flag: 'flag{lost}' })
    expect(refused.status).toBe(422)
    expect(refused.body.error).toMatch(
      /has no place for it: add FLAG=\$\{FLAG\} .* or mount a volume whose name contains "flag"/,
    )
    expect(refused.body.error).not.toContain('flag{lost}')
    const required = await create('refused/flag-required.yaml')
    expect(required.status).toBe(422)
    expect(required.body.error).toMatch(
      /services\.web\.environment\.FLAG: the create gives no flag.*the challenge needs a flag/,
    )
    // Without a flag the first is fine, with one the second: both accepted, then deleted.
    for (const [file, extra] of [
      ['refused/no-flag-place.yaml', {}],
      ['refused/flag-required.yaml', { flag: 'flag{given}' }],
    ] as const) {
      const ok = await create(file, extra)
      expect(ok.status).toBe(200)
      await settled(svc.url, ok.body.id)
      await call(svc.url, 'GET', `/env/delete/${ok.body.id}`)
    }
  })

  it('limits are held to the service caps, the lower one winning, as the engine reports them', async () => {
    const { body } = await create('limits')
    expect((await settled(svc.url, body.id)).body.status, failures()).toBe(1)
    const small = await docker.getContainer(await containerOf(svc.instance, body.id, 'small')).inspect()
    // Below the caps (0.5 CPU, 256m, 128 pids): kept; deploy's 32M beats mem_limit's 64m;
    // shm held to the memory limit; nproc (node-wide per user) becomes no ulimit, only the pids limit.
    expect(small.HostConfig).toMatchObject({
      NanoCpus: 0.25e9,
      Memory: 32 * MiB,
      MemorySwap: 32 * MiB,
      PidsLimit: 50,
      ShmSize: 32 * MiB,
    })
    expect(small.HostConfig.Ulimits).toEqual([{ Name: 'nofile', Soft: 1024, Hard: 2048 }])
    // What the challenge's own process runs with.
    const limits = (await exec(small.Id, ['grep', 'Max open files', '/proc/1/limits'])).output
    expect(limits.split(/\s+/).slice(3, 5)).toEqual(['1024', '2048'])
    const greedy = await docker.getContainer(await containerOf(svc.instance, body.id, 'greedy')).inspect()
    // Above the caps (2g, 4 CPUs, unlimited pids and memlock): the caps; nproc: 100 lowers pids below 128.
    expect(greedy.HostConfig).toMatchObject({ NanoCpus: 0.5e9, Memory: 256 * MiB, PidsLimit: 100 })
    // memlock is accepted and left at the engine's default (raising it needs a privilege).
    expect(greedy.HostConfig.Ulimits ?? []).toEqual([])
    // The anonymous volume is a volume of this environment's own, removed with it.
    const scratch = greedy.Mounts.find((m) => m.Destination === '/var/lib/scratch')
    expect(scratch?.Type).toBe('volume')
    expect(await engineObjects(svc.instance, body.id)).toMatchObject({ volumes: 1 })
    expect(greedy.HostConfig.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 3 })
    expect(greedy.Mounts.find((m) => m.Destination === '/run/app')?.Type).toBe('tmpfs')
    await call(svc.url, 'GET', `/env/delete/${body.id}`)
    expect(await engineObjects(svc.instance, body.id)).toEqual({ containers: 0, networks: 0, volumes: 0 })
  })

  it('interpolates as the compose specification says, from .env beside the file and never the host', async () => {
    const { body } = await create('interpolation')
    expect((await settled(svc.url, body.id)).body.status).toBe(1)
    const web = await containerOf(svc.instance, body.id, 'web')
    const expected: Record<string, string> = {
      FROM_DOTENV: 'hello',
      BRACED: 'hello, world',
      DEFAULTED: 'fallback',
      EMPTY_KEPT: '[]',
      EMPTY_REPLACED: 'replaced',
      REQUIRED: 'hello',
      ALTERNATIVE: 'greeting is set',
      NESTED: 'hello-nested',
      LITERAL: '$HOME and ${GREETING}',
      DOTENV_ONLY: 'from .env',
    }
    for (const [name, value] of Object.entries(expected)) expect(await env(web, name), name).toBe(value)
    // The image tag came from .env (levkit/nginx:${NGINX_TAG}).
    expect((await docker.getContainer(web).inspect()).Config.Image).toBe('levkit/nginx:1.0')
    await call(svc.url, 'GET', `/env/delete/${body.id}`)
  })
})
