import { createHash, randomBytes } from 'node:crypto'
import { getEventListeners } from 'node:events'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  AbortedError,
  ContainerStartError,
  Cr,
  EntryError,
  OptionsError,
  PortTimeoutError,
  remote,
  ServiceError,
  type CrOptions,
} from '../src/index'
import { fileEntries, refuseRemoteBinds } from '../src/archive/files'
import { docker, levrtObjects } from './support/engine'
import { collect, rejection } from './support/async'
import { useStore } from './support/env'

/** Runs a shell script in busybox and returns its stdout and exit code. */
async function sh(
  script: string,
  options: Omit<CrOptions, 'cmd'> = {},
): Promise<{ out: string; exitCode: number }> {
  const task = await new Cr('levrt/busybox', { ...options, cmd: ['sh', '-c', script] }).start()
  const [out, doc] = await Promise.all([collect(task.stdout), task.done()])
  return { out, exitCode: doc.exitCode }
}

/** Whether one TCP connection to `host:port` is accepted (refused or silent for 2 s: false). */
function connectsOnce(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2_000 })
    const done = (open: boolean) => {
      socket.destroy()
      resolve(open)
    }
    socket
      .once('connect', () => done(true))
      .once('error', () => done(false))
      .once('timeout', () => done(false))
  })
}

const httpd = (port: number, options: Omit<CrOptions, 'cmd'> = {}) =>
  new Cr('levrt/busybox', {
    ...options,
    cmd: ['httpd', '-f', '-p', String(port), '-h', '/www'],
    files: { '/www/index.html': `hello from ${port}\n` },
  })

describe('wiring: files, services, links, ports', () => {
  let env: ReturnType<typeof useStore>
  let local: string
  let before: Awaited<ReturnType<typeof levrtObjects>>
  beforeAll(async () => {
    env = useStore('embedded')
    local = mkdtempSync(join(tmpdir(), 'levrt-files-'))
    before = await levrtObjects()
  })
  afterEach(async () => {
    // Every path below must leave nothing behind, whatever way the run ended.
    expect(await levrtObjects()).toEqual(before)
  })
  afterAll(() => {
    rmSync(local, { recursive: true, force: true })
    env.restore()
  })

  it('places content and local files at absolute paths, making parents and keeping modes', async () => {
    writeFileSync(join(local, 'tool.sh'), '#!/bin/sh\necho tool ran\n')
    chmodSync(join(local, 'tool.sh'), 0o750)
    const { out, exitCode } = await sh(
      'cat /etc/levrt/config.json; echo; cat /data/bytes; echo; cat /data/u8; echo; /opt/bin/tool.sh; stat -c "%a" /opt/bin/tool.sh /tmp; ls /etc | grep -c .',
      {
        files: {
          '/etc/levrt/config.json': JSON.stringify({ a: 1 }),
          '/data/bytes': Buffer.from('buffer'),
          '/data/u8': new TextEncoder().encode('uint8array'),
          '/opt/bin/tool.sh': { path: join(local, 'tool.sh') },
          '/tmp/put-here': 'x',
        },
      },
    )
    expect(exitCode).toBe(0)
    const lines = out.trim().split('\n')
    expect(lines.slice(0, 4)).toEqual(['{"a":1}', 'buffer', 'uint8array', 'tool ran'])
    expect(lines[4]).toBe('750')
    expect(lines[5]).toBe('1777') // an existing folder keeps its mode
    expect(Number(lines[6])).toBeGreaterThan(1) // /etc kept its other files
  })

  it('copies a whole local folder, with modes, subfolders and symlinks', async () => {
    const tree = join(local, 'tree')
    mkdirSync(join(tree, 'sub'), { recursive: true })
    writeFileSync(join(tree, 'a.txt'), 'A')
    writeFileSync(join(tree, 'sub', 'b.txt'), 'B')
    chmodSync(join(tree, 'sub'), 0o700)
    symlinkSync('a.txt', join(tree, 'link'))
    const { out } = await sh(
      'cd /srv/tree && cat a.txt sub/b.txt link; echo; stat -c "%a" sub; readlink link',
      {
        files: { '/srv/tree': { path: tree } },
      },
    )
    expect(out.trim().split('\n')).toEqual(['ABA', '700', 'a.txt'])
  })

  it('streams a large local file through unchanged', async () => {
    const big = join(local, 'big.bin')
    const data = randomBytes(48 * 1024 * 1024)
    writeFileSync(big, data)
    const { out } = await sh('sha256sum /data/big.bin', { files: { '/data/big.bin': { path: big } } })
    expect(out.split(' ')[0]).toBe(createHash('sha256').update(data).digest('hex'))
  })

  it('bind-mounts a local folder read-only when asked, and the run key still covers its files', async () => {
    const tree = join(local, 'bound')
    mkdirSync(tree, { recursive: true })
    writeFileSync(join(tree, 'a.txt'), 'one')
    const read = () =>
      new Cr('levrt/busybox', {
        cmd: ['sh', '-c', 'cat /w/a.txt; touch /w/new 2>/dev/null && echo writable || echo read-only'],
        files: { '/w': { path: tree, bind: true } },
      }).start()
    const first = await read()
    const [out1, doc1] = await Promise.all([collect(first.stdout), first.done()])
    expect(out1).toBe('oneread-only\n')
    writeFileSync(join(tree, 'a.txt'), 'two')
    const second = await read()
    const [out2, doc2] = await Promise.all([collect(second.stdout), second.done()])
    expect(out2).toBe('tworead-only\n')
    expect(doc2.run.key).not.toBe(doc1.run.key)
  })

  it('bind-mounts a single local file', async () => {
    writeFileSync(join(local, 'one.conf'), 'port 1\n')
    const { out } = await sh('cat /etc/one.conf', {
      files: { '/etc/one.conf': { path: join(local, 'one.conf'), bind: true } },
    })
    expect(out).toBe('port 1\n')
  })

  it('refuses a bind mount on a remote engine, and a malformed bind', async () => {
    const entries = await fileEntries([{ target: '/w', source: { path: local, bind: true } }])
    expect(() => refuseRemoteBinds(false, 'tcp://10.0.0.9:2376', entries)).toThrow(OptionsError)
    expect(() => refuseRemoteBinds(false, 'tcp://10.0.0.9:2376', entries)).toThrow(/needs a local engine/)
    expect(() => refuseRemoteBinds(true, 'unix:///var/run/docker.sock', entries)).not.toThrow()
    const bad = { path: local, bind: 'yes' } as unknown as { path: string }
    expect(() => new Cr('levrt/busybox', { files: { '/w': bad } })).toThrow(OptionsError)
  })

  it('refuses a missing local file before creating anything', async () => {
    const err = await rejection(
      new Cr('levrt/busybox', { cmd: ['true'], files: { '/x': { path: join(local, 'nope') } } }),
    )
    expect(err).toBeInstanceOf(OptionsError)
    expect((err as OptionsError).option).toBe('files["/x"]')
  })

  it('runs the seed example: a service reachable by its key, its port waited for', async () => {
    const { out, exitCode } = await sh('wget -q -O- "http://${REDIS_URI#redis://}/"', {
      env: ['REDIS_URI=redis://redis:9001'],
      services: { redis: httpd(9001, { ports: [9001] }) },
    })
    expect(exitCode).toBe(0)
    expect(out).toBe('hello from 9001\n')
  })

  it('removes services when the main container fails, and when it is signalled', async () => {
    const failed = await sh('exit 9', { services: { web: httpd(80, { ports: [80] }) } })
    expect(failed.exitCode).toBe(9)
    const task = await new Cr('levrt/busybox', {
      cmd: ['sleep', '60'],
      services: { web: httpd(80, { ports: [80] }) },
    }).start()
    await task.signal('SIGKILL')
    expect((await task).exitCode).toBe(137)
  })

  it('fails the run with the last lines of a sidecar that dies', async () => {
    const dying = new Cr('levrt/busybox', {
      cmd: ['sh', '-c', 'echo cannot bind >&2; exit 1'],
      ports: [6379],
    })
    const err = await rejection(new Cr('levrt/busybox', { cmd: ['true'], services: { redis: dying } }))
    expect(err).toBeInstanceOf(ServiceError)
    expect((err as ServiceError).service).toBe('redis')
    expect((err as ServiceError).logs).toContain('cannot bind')
  })

  it('fails the run when a sidecar never opens its port', async () => {
    const silent = new Cr('levrt/busybox', {
      cmd: ['sh', '-c', 'echo listening soon; sleep 60'],
      ports: [7000],
      portTimeout: 700,
    })
    const err = await rejection(new Cr('levrt/busybox', { cmd: ['true'], services: { svc: silent } }))
    expect(err).toBeInstanceOf(ServiceError)
    expect((err as ServiceError).cause).toBeInstanceOf(PortTimeoutError)
    expect((err as ServiceError).logs).toContain('listening soon')
  })

  it('resolves start() only once the main container accepts connections on its ports', async () => {
    const task = await new Cr('levrt/busybox', {
      cmd: ['sh', '-c', 'sleep 0.4; exec httpd -f -p 8080 -h /www'],
      files: { '/www/index.html': 'ready\n' },
      ports: [8080],
    }).start()
    // The server is up the moment start() resolves: a linked client gets an answer at once.
    const { out } = await sh('wget -q -O- http://server:8080/', { links: { server: task.host } })
    await task.signal('SIGKILL')
    await task
    expect(out).toBe('ready\n')
  })

  it('gives a typed error with the last output when a port never opens, and leaves nothing', async () => {
    const err = await rejection(
      new Cr('levrt/busybox', {
        cmd: ['sh', '-c', 'echo not serving; sleep 60'],
        ports: [8080],
        portTimeout: 600,
      }).start(),
    )
    expect(err).toBeInstanceOf(PortTimeoutError)
    expect((err as PortTimeoutError).port).toBe(8080)
    expect((err as PortTimeoutError).logs).toContain('not serving')
  })

  it('fails at once when the container exits before its port opens', async () => {
    const err = await rejection(
      new Cr('levrt/busybox', { cmd: ['sh', '-c', 'echo bye; exit 3'], ports: [8080] }).start(),
    )
    expect(err).toBeInstanceOf(ContainerStartError)
    expect((err as ContainerStartError).logs).toContain('bye')
  })

  it('waits for ports of an image without a shell', async () => {
    // FerretDB's test image is FROM scratch: nothing but its binary, listening on $LISTEN.
    const task = await new Cr('levrt-test/ferretdb:1.24', { ports: [27017] }).start()
    try {
      const info = await docker.getContainer(task.id).inspect()
      expect(info.State.Running).toBe(true)
      // One attempt, no retry: the port accepts a connection the moment start() resolves.
      const [network] = Object.values(info.NetworkSettings.Networks)
      expect(await connectsOnce(network.IPAddress, 27017)).toBe(true)
    } finally {
      await task.signal('SIGKILL')
      await task
    }
    // The same image listening on another port: start() really waits for 27017, then gives up.
    const cr = new Cr('levrt-test/ferretdb:1.24', {
      ports: [27017],
      env: ['LISTEN=0.0.0.0:27018'],
      portTimeout: 800,
    })
    const err = await rejection(cr.start())
    expect(err).toBeInstanceOf(PortTimeoutError)
    expect((err as PortTimeoutError).port).toBe(27017)
  })

  it('waits for ports from inside the container network too (remote engines)', async () => {
    process.env.LEV_PORT_PROBE = 'container'
    try {
      const { out } = await sh('wget -q -O- http://web:8081/', {
        services: { web: httpd(8081, { ports: [8081] }) },
      })
      expect(out).toBe('hello from 8081\n')
      const err = await rejection(
        new Cr('levrt/busybox', { cmd: ['sleep', '60'], ports: [9], portTimeout: 800 }).start(),
      )
      expect(err).toBeInstanceOf(PortTimeoutError)
    } finally {
      delete process.env.LEV_PORT_PROBE
    }
  })

  it('links a running task under an alias, and leaves it running and unlinked after', async () => {
    const server = await httpd(8080, { ports: [8080] }).start()
    const { out } = await sh('wget -q -O- http://proxy:8080/', { links: { proxy: server.host } })
    expect(out).toBe('hello from 8080\n')
    const again = await sh('wget -q -O- http://other:8080/', { links: { other: server.host } })
    expect(again.out).toBe('hello from 8080\n')
    await server.signal('SIGKILL')
    await server
  })

  it('links one task under two aliases, and a link to no running container is an OptionsError naming it', async () => {
    const server = await httpd(8083, { ports: [8083] }).start()
    const { out } = await sh('wget -q -O- http://web:8083/ && wget -q -O- http://www:8083/', {
      links: { web: server.host, www: server.host },
    })
    expect(out).toBe('hello from 8083\nhello from 8083\n')
    await server.signal('SIGKILL')
    await server
    const err = await rejection(sh('true', { links: { gone: 'levrt-no-such-container' } }))
    expect(err).toBeInstanceOf(OptionsError)
    expect((err as OptionsError).option).toBe('links.gone')
  })

  it('host: true runs services on the host network, reachable by their key at 127.0.0.1', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000)
    const { out } = await sh(`wget -q -O- http://web:${port}/`, {
      host: true,
      services: { web: httpd(port, { host: true, ports: [port] }) },
    })
    expect(out).toBe(`hello from ${port}\n`)
  })

  it('host: true reaches a linked task by its alias', async () => {
    const server = await httpd(8082, { ports: [8082] }).start()
    const { out } = await sh('wget -q -O- http://proxy:8082/', { host: true, links: { proxy: server.host } })
    expect(out).toBe('hello from 8082\n')
    await server.signal('SIGKILL')
    await server
  })

  it('cleans up after an entry that throws', async () => {
    const err = await rejection(
      new Cr('levrt/node:20', {
        entry: remote(() => {
          throw new Error('boom')
        }),
        services: { web: httpd(80) },
      }),
    )
    expect(err).toBeInstanceOf(EntryError)
  })

  it('an AbortSignal stops the run, keeps what it stored and removes everything', async () => {
    const controller = new AbortController()
    const cr = new Cr('levrt/node:20', 'wiring/abort@1.0', {
      signal: controller.signal,
      services: { web: httpd(80, { ports: [80] }) },
      entry: remote(async (lev) => {
        lev.set({ progress: 'half' })
        console.log('stored')
        await new Promise((r) => setTimeout(r, 60_000))
      }),
    })
    const task = await cr.start()
    await new Promise<void>((resolve) => task.stdout.once('data', () => resolve()))
    controller.abort(new Error('user pressed stop'))
    const err = await rejection(task.done())
    expect(err).toBeInstanceOf(AbortedError)
    expect((err as Error).message).toContain('user pressed stop')
    expect(await (err as AbortedError).document!.get()).toEqual({ progress: 'half' })
  })

  it('a run lets go of its AbortSignal when it ends, so one signal can serve many runs', async () => {
    const controller = new AbortController()
    await Promise.all([1, 2, 3].map(() => sh('true', { signal: controller.signal })))
    await rejection(
      new Cr('levrt/busybox', {
        cmd: ['true'],
        ports: [1],
        portTimeout: 300,
        signal: controller.signal,
      }).start(),
    )
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })

  it('an AbortSignal aborted before start creates nothing', async () => {
    const err = await rejection(
      new Cr('levrt/busybox', { cmd: ['true'], signal: AbortSignal.abort(new Error('too late')) }),
    )
    expect(err).toBeInstanceOf(AbortedError)
  })
})
