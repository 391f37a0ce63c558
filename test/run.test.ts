import Dockerode from 'dockerode'
import { hostname } from 'node:os'
import { describe, expect, it, vi } from 'vitest'
import {
  ContainerStartError,
  Cr,
  type CrOptions,
  DEFAULT_SCHEMA,
  Document,
  EngineUnavailableError,
  ImageUnavailableError,
  OptionsError,
} from '../src/index'
import { DockerEngine } from '../src/engine/docker-engine'
import { containersOfRun, docker, levrtObjects } from './support/engine'
import { collect, rejection } from './support/async'
import { embeddedStoreLeavingNothing } from './support/env'
import { startRegistry } from './support/registry'

const sh = (script: string, options: Omit<CrOptions, 'cmd'> = {}) =>
  new Cr('levrt/busybox', { ...options, cmd: ['sh', '-c', script] })

describe('a run on the engine', () => {
  embeddedStoreLeavingNothing()

  it('records a non-zero exit in the Document instead of throwing, and removes the container', async () => {
    const t0 = new Date()
    const doc = await sh('echo hi; exit 3')
    expect(doc).toBeInstanceOf(Document)
    expect(doc.exitCode).toBe(3)
    expect(doc.run.image).toBe('levrt/busybox')
    expect(doc.run.startedAt.getTime()).toBeGreaterThanOrEqual(t0.getTime() - 1000)
    expect(doc.run.endedAt.getTime()).toBeGreaterThanOrEqual(doc.run.startedAt.getTime())
    expect(doc.coll.collectionName).toBe(DEFAULT_SCHEMA)
    expect(await doc.get()).toEqual({})
    expect(await doc.get({}, { '_lev.exitCode': 1 })).toEqual({ _lev: { exitCode: 3 } })
    expect(await containersOfRun(doc.filters._id)).toEqual([])
  })

  it('is lazy, and awaiting the same Cr twice runs it once', async () => {
    const cr = sh('exit 0', { schema: 'test/lazy@1.0' })
    const coll = (await sh('true', { schema: 'test/lazy@1.0' })).coll
    const count = await coll.countDocuments()
    await new Promise((r) => setTimeout(r, 300))
    expect(await coll.countDocuments()).toBe(count) // nothing ran on construction
    const [a, b] = await Promise.all([cr, cr])
    const c = await cr
    const d = await cr.done()
    expect(b).toBe(a)
    expect(c).toBe(a)
    expect(d).toBe(a)
    expect(await coll.countDocuments()).toBe(count + 1)
  })

  it('names the collection by the schema, from either constructor form', async () => {
    const a = await new Cr('levrt/busybox', 'ts/issues@1.0', { cmd: ['true'] })
    const b = await new Cr('levrt/busybox', { schema: 'ts/issues@1.0', cmd: ['true'] })
    expect(a.coll.collectionName).toBe('ts/issues@1.0')
    expect(b.coll.collectionName).toBe('ts/issues@1.0')
    expect(b.filters._id).not.toBe(a.filters._id)
  })

  it('start() gives a Task with id and host; await task and done() give its Document', async () => {
    const cr = sh('sleep 0.2; exit 7')
    const task = await cr.start()
    expect(task.id).toMatch(/^[0-9a-f]{64}$/)
    expect(task.host).toMatch(/^levrt-[0-9a-f]{24}$/)
    expect(await cr.start()).toBe(task)
    const info = await docker.getContainer(task.id).inspect()
    expect(info.State.Running).toBe(true)
    expect(info.Name).toBe(`/${task.host}`)
    const doc = await task
    expect(doc).toBeInstanceOf(Document)
    expect(await task.done()).toBe(doc)
    expect(await cr).toBe(doc)
    expect(doc.exitCode).toBe(7)
    expect(doc.run.containerId).toBe(task.id)
  })

  it('labels what it creates so leftovers can be found', async () => {
    const task = await sh('sleep 5').start()
    const { Config } = await docker.getContainer(task.id).inspect()
    await task.signal('SIGKILL')
    const doc = await task
    expect(Config.Labels).toMatchObject({
      'io.levrt.managed': '1',
      'io.levrt.run': doc.filters._id,
      'io.levrt.role': 'main',
      'io.levrt.owner.host': hostname(),
      'io.levrt.owner.pid': String(process.pid),
    })
    expect(doc.exitCode).toBe(137)
  })

  it('follows stdout and stderr live and apart', async () => {
    const task = await sh('for i in 1 2 3; do echo out$i; echo err$i >&2; sleep 0.05; done').start()
    const [out, err] = await Promise.all([collect(task.stdout), collect(task.stderr), task.done()])
    expect(out).toBe('out1\nout2\nout3\n')
    expect(err).toBe('err1\nerr2\nerr3\n')
  })

  it('delivers all of a large output to a subscriber before the container goes', async () => {
    // More than the 1 MiB kept before a first read: the tool waits a moment so that the test
    // subscribes before it prints, however slowly the engine answers start().
    const task = await sh('sleep 2; seq 1 200000').start()
    const [out] = await Promise.all([collect(task.stdout), task.done()])
    const lines = out.trimEnd().split('\n')
    expect(lines).toHaveLength(200000)
    expect(lines[199999]).toBe('200000')
  })

  it('replays output to a late subscriber, even after the run', async () => {
    const task = await sh('echo early; echo late >&2').start()
    const doc = await task
    expect(doc.exitCode).toBe(0)
    expect(await collect(task.stdout)).toBe('early\n')
    expect(await collect(task.stderr)).toBe('late\n')
  })

  it('passes env in both forms and cmd as arguments', async () => {
    const run = async (cr: Cr) => {
      const task = await cr.start()
      const [out] = await Promise.all([collect(task.stdout), task.done()])
      return out
    }
    expect(await run(sh('echo "$A|$B"', { env: ['A=1', 'B=x=y'] }))).toBe('1|x=y\n')
    expect(await run(sh('echo "$A|$B"', { env: { A: 'two words', B: '' } }))).toBe('two words|\n')
    expect(await run(new Cr('levrt/busybox', { cmd: ['echo', '$HOME', 'a  b'] }))).toBe('$HOME a  b\n')
  })

  it('uses the host network with host: true', async () => {
    const interfaces = async (host: boolean) => {
      const task = await new Cr('levrt/busybox', { host, cmd: ['ls', '/sys/class/net'] }).start()
      const [out] = await Promise.all([collect(task.stdout), task.done()])
      return out.split(/\s+/).filter(Boolean)
    }
    expect(await interfaces(true)).toContain('docker0')
    expect(await interfaces(false)).not.toContain('docker0')
  })

  it('signal() sends SIGINT by default; signalling a stopped container is not an error', async () => {
    const task = await sh(
      "trap 'echo got INT; exit 42' INT; echo ready; while true; do sleep 0.05; done",
    ).start()
    const out = collect(task.stdout)
    await new Promise<void>((resolve) => task.stdout.once('data', () => resolve()))
    await task.signal()
    const doc = await task
    expect(doc.exitCode).toBe(42)
    expect(await out).toContain('got INT')
    await expect(task.signal('SIGTERM')).resolves.toBeUndefined()
    await expect(task.signal('NOPE' as NodeJS.Signals)).rejects.toBeInstanceOf(OptionsError)
  })

  it('a container that cannot start is a ContainerStartError and leaves nothing', async () => {
    const objects = await levrtObjects()
    const err = await rejection(new Cr('levrt/busybox', { cmd: ['/no/such/program'] }))
    expect(err).toBeInstanceOf(ContainerStartError)
    expect((err as ContainerStartError).code).toBe('LEV_CONTAINER_START')
    expect((err as Error).message).toMatch(/no such file|not found/i)
    expect(await levrtObjects()).toEqual(objects)
  })

  it('a missing image that no registry has is an ImageUnavailableError saying how to build it', async () => {
    const objects = await levrtObjects()
    // Port 9 on loopback: nothing listens, so the pull fails at once and no traffic leaves the machine.
    const err = await rejection(new Cr('127.0.0.1:9/levrt/missing:1', { cmd: ['true'] }))
    expect(err).toBeInstanceOf(ImageUnavailableError)
    expect((err as Error).message).toContain('docker build -t 127.0.0.1:9/levrt/missing:1')
    expect((err as Error).message).toMatch(/docker save .* \| docker -H <engine> load/)
    // The message is for a user's project: it names no script of this repository.
    expect((err as Error).message).not.toMatch(/npm run|scripts\//)
    expect(await levrtObjects()).toEqual(objects)
  })

  it('pulls a missing image with visible progress', async () => {
    const registry = await startRegistry('levrt/pulled', '1.0')
    const image = `${registry.host}/levrt/pulled:1.0`
    const lines: string[] = []
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk))
      return true
    })
    try {
      const doc = await new Cr(image, { cmd: ['/bin/busybox', 'sh', '-c', 'exit 5'] })
      expect(doc.exitCode).toBe(5)
    } finally {
      spy.mockRestore()
      await docker
        .getImage(image)
        .remove()
        .catch(() => undefined)
      await registry.close()
    }
    const log = lines.join('')
    expect(log).toContain(`levrt: ${image} is not on the engine; pulling`)
    expect(log).toMatch(/Pull complete|Download complete/)
  })

  it('an engine that does not answer is an EngineUnavailableError', async () => {
    const engine = new DockerEngine(new Dockerode({ socketPath: '/nonexistent/docker.sock' }))
    const err = await rejection(
      engine.create({
        name: 'levrt-x',
        image: 'levrt/busybox',
        env: [],
        labels: {},
        network: { mode: 'bridge' },
      }),
    )
    expect(err).toBeInstanceOf(EngineUnavailableError)
    expect((err as Error).message).toContain('DOCKER_HOST')
  })
})
