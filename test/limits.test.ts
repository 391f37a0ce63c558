import Dockerode from 'dockerode'
import { afterEach, describe, expect, it } from 'vitest'
import { Cr, OptionsError, TimeoutError, type CrOptions } from '../src/index'
import { rejection } from './support/async'
import { containersOfRun, levrtObjects } from './support/engine'
import { embeddedStoreLeavingNothing } from './support/env'

const docker = new Dockerode()
const sh = (script: string, options: Omit<CrOptions, 'cmd'> = {}) =>
  new Cr('levrt/busybox', { ...options, cmd: ['sh', '-c', script] })
const record = (json: string) => `printf '%s\\n' '${json}' >> "$LEV_RECORDS"`

/** Inspects the containers of a live run by role (`main`, `service:<key>`). */
async function settingsOfRun(runId: string): Promise<Record<string, Dockerode.HostConfig>> {
  const containers = await containersOfRun(runId)
  const entries = await Promise.all(
    containers.map(
      async (c) =>
        [c.Labels['io.levrt.role'], (await docker.getContainer(c.Id).inspect()).HostConfig] as const,
    ),
  )
  return Object.fromEntries(entries)
}

describe('timeout and idleTimeout', () => {
  embeddedStoreLeavingNothing()
  afterEach(() => {
    delete process.env.LEVRT_TIMEOUT
    delete process.env.LEVRT_IDLE_TIMEOUT
  })

  it('stops a run past its timeout, keeping what it stored', async () => {
    const started = Date.now()
    const err = await rejection(
      sh(`${record('{"found":"early"}')}; sleep 600`, { schema: 'test/timeout@1.0', timeout: 1500 }),
    )
    expect(err).toBeInstanceOf(TimeoutError)
    const timeout = err as TimeoutError
    expect(timeout.code).toBe('LEV_TIMEOUT')
    expect(timeout.reason).toBe('timeout')
    expect(Date.now() - started).toBeLessThan(15_000) // sh as pid 1 ignores SIGTERM: 1.5 s + the grace
    expect(await timeout.document!.get()).toEqual({ found: 'early' })
  })

  it('kills a tool that ignores SIGTERM after the grace period', async () => {
    const started = Date.now()
    const err = await rejection(sh("trap '' TERM; while true; do sleep 1; done", { timeout: 1000 }))
    expect(err).toBeInstanceOf(TimeoutError)
    const elapsed = Date.now() - started
    expect(elapsed).toBeGreaterThan(5_000) // 1 s + the 5 s grace
    expect(elapsed).toBeLessThan(20_000)
    expect((err as TimeoutError).document!.exitCode).toBe(137)
  })

  it('stops a tool that goes silent, but not one that keeps printing', async () => {
    // Prints for ~2 s, then hangs silently.
    const started = Date.now()
    const err = await rejection(
      sh('for i in 1 2 3 4 5 6 7 8; do echo tick $i; sleep 0.25; done; sleep 600', { idleTimeout: 1200 }),
    )
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as TimeoutError).reason).toBe('idle')
    expect(Date.now() - started).toBeGreaterThan(2_500)
    // Prints every 0.3 s for 3 s: never idle for 1.2 s.
    const doc = await sh('for i in 1 2 3 4 5 6 7 8 9 10; do echo tick $i; sleep 0.3; done', {
      idleTimeout: 1200,
    })
    expect(doc.exitCode).toBe(0)
  })

  it('counts a new record as activity, even without output', async () => {
    const script = `for i in 1 2 3 4 5 6; do printf '{"n":%s}\\n' $i >> "$LEV_RECORDS"; sleep 0.5; done`
    const doc = await sh(script, { schema: 'test/quiet@1.0', idleTimeout: 1200 })
    expect(doc.exitCode).toBe(0)
    expect(await doc.get()).toEqual({ n: 6 })
  })

  it('times out a run still starting (a service port that never opens) and leaves nothing', async () => {
    const before = await levrtObjects()
    const never = sh('sleep 600', { ports: [8080] })
    const err = await rejection(sh('true', { services: { never }, timeout: 1500 }))
    expect(err).toBeInstanceOf(TimeoutError)
    expect(await levrtObjects()).toEqual(before)
  })

  it('takes defaults from LEVRT_TIMEOUT and LEVRT_IDLE_TIMEOUT, and refuses bad ones before creating anything', async () => {
    process.env.LEVRT_TIMEOUT = '1000'
    expect(((await rejection(sh('sleep 600'))) as TimeoutError).reason).toBe('timeout')
    delete process.env.LEVRT_TIMEOUT
    process.env.LEVRT_IDLE_TIMEOUT = '1000'
    expect(((await rejection(sh('sleep 600'))) as TimeoutError).reason).toBe('idle')
    // A Cr's own option wins over the environment's.
    expect((await sh('sleep 1.5', { idleTimeout: 5000 })).exitCode).toBe(0)
    process.env.LEVRT_IDLE_TIMEOUT = 'soon'
    const before = await levrtObjects()
    const err = await rejection(sh('true'))
    expect(err).toBeInstanceOf(OptionsError)
    expect((err as OptionsError).option).toBe('LEVRT_IDLE_TIMEOUT')
    expect(await levrtObjects()).toEqual(before)
  })
})

describe('memory, cpus, pids', () => {
  embeddedStoreLeavingNothing()

  it('applies the limits to the main container and its services', async () => {
    const sidecar = sh('sleep 600')
    const own = sh('sleep 600', { memory: '64m' })
    const task = await sh('sleep 600', {
      memory: '32m',
      cpus: 0.5,
      pids: 20,
      services: { sidecar, own },
    }).start()
    const settings = await settingsOfRun(await runIdOf(task.id))
    for (const role of ['main', 'service:sidecar']) {
      expect(settings[role].Memory).toBe(32 * 1024 * 1024)
      expect(settings[role].NanoCpus).toBe(500_000_000)
      expect(settings[role].PidsLimit).toBe(20)
    }
    expect(settings['service:own'].Memory).toBe(64 * 1024 * 1024) // its own limit wins
    await task.signal('SIGKILL')
    await task.done()
  })

  it('records an out-of-memory kill', async () => {
    const doc = await sh('dd if=/dev/zero of=/dev/null bs=96M count=1', { memory: '24m' })
    expect(doc.exitCode).toBe(137)
    expect(doc.run.oomKilled).toBe(true)
    const fine = await sh('true', { memory: '24m' })
    expect(fine.run.oomKilled).toBe(false)
  })

  it('stops a fork bomb at the pids limit', async () => {
    const task = await sh('for i in $(seq 1 40); do sleep 5 & done; wait; echo done', { pids: 10 }).start()
    let err = ''
    task.stderr.on('data', (c: Buffer) => (err += c.toString()))
    await task.done()
    expect(err).toMatch(/can't fork|Resource temporarily unavailable/i)
  })

  it('refuses bad limits and time limits before anything is created', () => {
    const bad: [Partial<CrOptions> | Record<string, unknown>, string][] = [
      [{ memory: '5m' }, 'memory'],
      [{ memory: 'lots' }, 'memory'],
      [{ memory: -1 }, 'memory'],
      [{ cpus: 0 }, 'cpus'],
      [{ cpus: Number.NaN }, 'cpus'],
      [{ pids: 0 }, 'pids'],
      [{ pids: 2.5 }, 'pids'],
      [{ timeout: 0 }, 'timeout'],
      [{ timeout: 2 ** 31 }, 'timeout'],
      [{ idleTimeout: -5 }, 'idleTimeout'],
      [{ services: { s: sh('true', { timeout: 1000 }) } }, 'services.s'],
    ]
    for (const [options, option] of bad) {
      let caught: unknown
      try {
        new Cr('levrt/busybox', options as CrOptions)
      } catch (err) {
        caught = err
      }
      expect(caught, JSON.stringify(options)).toBeInstanceOf(OptionsError)
      expect((caught as OptionsError).option).toBe(option)
    }
  })
})

describe('run networks', () => {
  embeddedStoreLeavingNothing()

  it('take a small subnet from our own pool, not the engine default pools', async () => {
    const task = await sh('sleep 600', { services: { s: sh('sleep 600') } }).start()
    const runId = await runIdOf(task.id)
    const [network] = await docker.listNetworks({
      filters: JSON.stringify({ label: [`io.levrt.run=${runId}`] }),
    })
    expect(network.IPAM?.Config?.[0]?.Subnet).toMatch(/^10\.77\.\d+\.\d+\/26$/)
    await task.signal('SIGKILL')
    await task.done()
  })
})

async function runIdOf(containerId: string): Promise<string> {
  return (await docker.getContainer(containerId).inspect()).Config.Labels['io.levrt.run']
}
