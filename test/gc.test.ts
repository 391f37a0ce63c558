import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Cr } from '../src/index'
import { LABEL, processStart } from '../src/docker/labels'
import { ownerIsDead } from '../src/docker/labels'
import { docker } from './support/engine'
import { useStore } from './support/env'

/**
 * Cleanup when the host process dies: SIGKILL leaves labelled objects that `levrt gc` (or the
 * next process's first run) removes; SIGINT/SIGTERM/SIGHUP make the process remove its own.
 * Host processes are real child processes running test/fixtures/gc-run.ts.
 *
 * Any process on this machine that starts its first run sweeps dead runs' leftovers, so other
 * work on the engine (other test files, benchmarks, people) would race these tests for the
 * leftovers they make on purpose. So children and CLI runs get a host name of their own (a UTS
 * namespace, via `unshare`, as root): their leftovers belong to a host nobody else sweeps, and
 * their sweeps touch nothing of anybody else's. Without `unshare` they run plainly, racing.
 */

const TS_NODE = ['-r', 'ts-node/register/transpile-only']
const FIXTURE = 'test/fixtures/gc-run.ts'
const CLI = 'src/cli/levrt.ts'
const TEST_HOST = `levrt-gc-test-${process.pid}`

let home: string
let isolate = false
beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'levrt-gc-test-'))
  const probe = spawn('unshare', ['--uts', 'sh', '-c', 'hostname "$0"', TEST_HOST], { stdio: 'ignore' })
  isolate = await new Promise<boolean>((resolve) => {
    probe.once('error', () => resolve(false))
    probe.once('exit', (code) => resolve(code === 0))
  })
  if (!isolate)
    process.emitWarning('gc.test: no `unshare --uts` here; other runs on this engine may race these tests')
})
afterAll(() => rmSync(home, { recursive: true, force: true }))

/** The environment of a child: the embedded store in a temp LEV_HOME, no sweep unless asked. */
function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TS_NODE_PROJECT: 'tsconfig.json',
    LEV_HOME: home,
    LEV_GC: 'off',
    // These tests are about what a dead process leaves for gc: no session reaper removes it first.
    LEVRT_REAPER: 'off',
    ...extra,
  }
  delete env.LEV_MONGO_URL
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k]
  return env
}

interface Child {
  readonly proc: ChildProcess
  readonly pid: number
  /** The host name its runs' labels carry. */
  readonly host: string
  stdout: string
  stderr: string
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

const children: Child[] = []

/** The host name a child sees: the test host when isolated (the default), else this machine's. */
const hostOf = (isolated: boolean) => (isolated && isolate ? TEST_HOST : hostname())

/** Runs `node -r ts-node/register/transpile-only ...args`, on the test host unless `isolated` is false. */
function start(args: readonly string[], env: NodeJS.ProcessEnv, isolated = true): Child {
  const node = [process.execPath, ...TS_NODE, ...args]
  // unshare and sh both exec: the child's pid is node's, the one its labels carry.
  const [file, ...argv] =
    isolated && isolate
      ? ['unshare', '--uts', 'sh', '-c', 'hostname "$0" && exec "$@"', TEST_HOST, ...node]
      : node
  const proc = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const child: Child = { proc, pid: proc.pid!, host: hostOf(isolated), stdout: '', stderr: '', exited }
  proc.stdout!.on('data', (c: Buffer) => (child.stdout += c.toString('utf8')))
  proc.stderr!.on('data', (c: Buffer) => (child.stderr += c.toString('utf8')))
  children.push(child)
  return child
}

/** Resolves with the first stdout line starting with `prefix`; fails if the child exits first. */
async function line(child: Child, prefix: string, timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = child.stdout.split('\n').find((l) => l.startsWith(`${prefix} `) || l === prefix)
    if (found) return found.split(' ').slice(1)
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) {
      throw new Error(
        `child exited (${child.proc.exitCode ?? child.proc.signalCode}) before "${prefix}": ${child.stderr}`,
      )
    }
    if (Date.now() > deadline) throw new Error(`no "${prefix}" line within ${timeoutMs} ms: ${child.stderr}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** A fixture host process with a live run, once it has printed `ready <runId> <containerId>`. */
async function liveHost(
  mode: 'live' | 'linked' = 'live',
  ...args: string[]
): Promise<{ child: Child; runId: string }> {
  const child = start([FIXTURE, mode, ...args], childEnv())
  const [runId] = await line(child, 'ready')
  return { child, runId }
}

async function kill(
  child: Child,
  signal: NodeJS.Signals,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  child.proc.kill(signal)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the child did not exit within 20 s of ${signal}`)), 20_000)
  })
  try {
    return await Promise.race([child.exited, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Runs the CLI to its end. */
async function cli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = childEnv(),
  isolated = true,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = start([CLI, ...args], env, isolated)
  const { code } = await child.exited
  return { code, stdout: child.stdout, stderr: child.stderr }
}

/** What the engine holds of runs made by a child (or by this process, `{ pid, host: hostname() }`). */
async function objectsOf(owner: { readonly pid: number; readonly host: string }) {
  const filters = JSON.stringify({
    label: [LABEL.managed, `${LABEL.ownerPid}=${owner.pid}`, `${LABEL.ownerHost}=${owner.host}`],
  })
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ])
  return { containers, networks, volumes: volumes.Volumes ?? [] }
}

/** Force-removes everything a child made, containers first (as `docker rm -f`). */
async function removeAllOf(child: Child): Promise<void> {
  const { containers, networks, volumes } = await objectsOf(child)
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    ),
  )
  await Promise.all(
    networks.map((n) =>
      docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined),
    ),
  )
  await Promise.all(
    volumes.map((v) =>
      docker
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined),
    ),
  )
}

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.proc.exitCode === null && child.proc.signalCode === null) {
      child.proc.kill('SIGKILL')
      await child.exited
    }
    await removeAllOf(child)
  }
})

const short = (id: string) => id.slice(0, 12)

describe('after a SIGKILL', () => {
  it('`levrt gc --dry-run` lists the leftovers and removes nothing; `levrt gc` removes them and names them', async () => {
    const { child, runId } = await liveHost()
    const left = await objectsOf(child)
    expect(left.containers.map((c) => c.Labels[LABEL.role]).sort()).toEqual(['main', 'service:side'])
    expect(left.networks.map((n) => n.Labels?.[LABEL.role])).toEqual(['network'])
    for (const o of [...left.containers, ...left.networks]) expect(o.Labels?.[LABEL.run]).toBe(runId)

    expect(await kill(child, 'SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' })
    expect((await objectsOf(child)).containers).toHaveLength(2) // nothing ran to remove them

    const dry = await cli(['gc', '--dry-run'])
    expect(dry.stderr).toBe('')
    expect(dry.code).toBe(0)
    for (const c of left.containers)
      expect(dry.stdout).toContain(
        `would remove container ${short(c.Id)}  run ${runId}  ${c.Labels[LABEL.role]}`,
      )
    expect(dry.stdout).toContain(
      `would remove network   ${short(left.networks[0].Id)}  run ${runId}  network`,
    )
    expect(dry.stdout).toMatch(
      /^would remove \d+ leftovers of dead runs \(.*\); nothing removed \(--dry-run\)$/m,
    )
    const still = await objectsOf(child)
    expect([still.containers.length, still.networks.length]).toEqual([2, 1])

    const real = await cli(['gc'])
    expect(real.stderr).toBe('')
    expect(real.code).toBe(0)
    for (const c of left.containers)
      expect(real.stdout).toContain(`removed container ${short(c.Id)}  run ${runId}  ${c.Labels[LABEL.role]}`)
    expect(real.stdout).toContain(`removed network   ${short(left.networks[0].Id)}  run ${runId}  network`)
    expect(real.stdout).toMatch(
      /^removed \d+ leftovers of dead runs \(\d+ containers?, \d+ networks?; \d+ runs?\)$/m,
    )
    expect(await objectsOf(child)).toEqual({ containers: [], networks: [], volumes: [] })
  })

  it('the first run of a new process sweeps the leftovers by itself, unless LEV_GC=off', async () => {
    const { child } = await liveHost()
    await kill(child, 'SIGKILL')
    expect((await objectsOf(child)).containers).toHaveLength(2)

    const quiet = start([FIXTURE, 'quick'], childEnv({ LEV_GC: 'off' }))
    expect((await quiet.exited).code).toBe(0)
    expect(quiet.stdout).toMatch(/^done [0-9a-f]{24}$/m)
    expect((await objectsOf(child)).containers).toHaveLength(2) // LEV_GC=off: no sweep

    const next = start([FIXTURE, 'quick'], childEnv({ LEV_GC: undefined }))
    expect((await next.exited).code).toBe(0)
    expect(next.stdout).toMatch(/^done [0-9a-f]{24}$/m)
    expect(next.stderr).toMatch(/levrt: removed \d+ leftovers of dead runs \(levrt gc\)/)
    expect(await objectsOf(child)).toEqual({ containers: [], networks: [], volumes: [] })
    expect(await objectsOf(next)).toEqual({ containers: [], networks: [], volumes: [] }) // its own run cleaned up too
  })

  it("gc removes a dead run's network even while another run's container is still linked into it", async () => {
    // This process's live run is the link target: the dead run connected it to its own network.
    const store = useStore('embedded')
    const target = await new Cr('levrt/busybox', { cmd: ['sleep', '600'] }).start()
    try {
      const { child, runId } = await liveHost('linked', target.host)
      const network = (await objectsOf(child)).networks[0]
      const attached = await docker.getNetwork(network.Id).inspect()
      expect(Object.keys(attached.Containers ?? {})).toContain(target.id)
      await kill(child, 'SIGKILL')

      const real = await cli(['gc'])
      expect(real.stderr).toBe('')
      expect(real.code).toBe(0)
      expect(real.stdout).toContain(`removed network   ${short(network.Id)}  run ${runId}  network`)
      expect(await objectsOf(child)).toEqual({ containers: [], networks: [], volumes: [] })
      expect((await docker.getContainer(target.id).inspect()).State.Running).toBe(true) // a live owner's: left alone
    } finally {
      await target.signal('SIGKILL')
      await target.done()
      store.restore()
    }
  })
})

describe('a signal to a host process with a live run', () => {
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)(
    '%s: it removes its containers and network, then dies of the signal',
    async (signal) => {
      const { child } = await liveHost()
      const left = await objectsOf(child)
      expect([left.containers.length, left.networks.length]).toEqual([2, 1])

      expect(await kill(child, signal)).toEqual({ code: null, signal })
      expect(child.stderr).toContain(`levrt: ${signal}: stopping 1 run(s) and removing their containers`)
      expect(await objectsOf(child)).toEqual({ containers: [], networks: [], volumes: [] })
    },
  )

  // Run.abort() must wait for start() to tear down what it already made, and interrupt the
  // sidecar's port wait, before live.ts lets the signal end the process.
  it('SIGINT while start() is still waiting for a sidecar: the sidecar and network are removed too', async () => {
    const child = start([FIXTURE, 'starting'], childEnv())
    await line(child, 'starting')
    const deadline = Date.now() + 30_000
    while ((await objectsOf(child)).containers.length === 0) {
      if (Date.now() > deadline) throw new Error(`the sidecar did not appear: ${child.stderr}`)
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(await kill(child, 'SIGINT')).toEqual({ code: null, signal: 'SIGINT' })
    expect(await objectsOf(child)).toEqual({ containers: [], networks: [], volumes: [] })
  })
})

describe('gc and live owners', () => {
  it("leaves a live process's run alone unless --all (checked with --dry-run only: --all would take other people's runs)", async () => {
    const store = useStore('embedded')
    const own = await new Cr('levrt/busybox', { cmd: ['sleep', '600'] }).start()
    try {
      const ownRun = (await docker.getContainer(own.id).inspect()).Config.Labels[LABEL.run]
      const { child, runId } = await liveHost()

      // A live child on the test host, and this process on this machine's host name.
      const real = await cli(['gc'])
      expect(real.code).toBe(0)
      expect(real.stdout).not.toContain(runId)
      const here = await cli(['gc'], childEnv(), false)
      expect(here.code).toBe(0)
      expect(here.stdout).not.toContain(ownRun)
      const theirs = await objectsOf(child)
      expect([theirs.containers.length, theirs.networks.length]).toEqual([2, 1])
      expect((await docker.getContainer(own.id).inspect()).State.Running).toBe(true)

      const all = await cli(['gc', '--all', '--dry-run'])
      expect(all.code).toBe(0)
      expect(all.stdout).toContain(`would remove container ${short(own.id)}  run ${ownRun}  main`)
      for (const c of theirs.containers)
        expect(all.stdout).toContain(`would remove container ${short(c.Id)}  run ${runId}`)
      expect(all.stdout).toMatch(/^would remove \d+ labelled objects \(.*\); nothing removed \(--dry-run\)$/m)
    } finally {
      await own.signal('SIGKILL')
      await own.done()
      store.restore()
    }
  })
})

describe('ownerIsDead', () => {
  const labels = (pid: number, start: string | undefined, host = hostname()) => ({
    [LABEL.managed]: '1',
    [LABEL.ownerHost]: host,
    [LABEL.ownerPid]: String(pid),
    ...(start === undefined ? {} : { [LABEL.ownerStart]: start }),
  })

  it('a live pid with its own start time is alive; with another start time (a reused pid) it is dead', () => {
    const mine = processStart(process.pid)
    expect(mine).toMatch(/^\d+$/)
    expect(ownerIsDead(labels(process.pid, mine))).toBe(false)
    expect(ownerIsDead(labels(process.pid, String(Number(mine) + 1)))).toBe(true)
    expect(ownerIsDead(labels(process.pid, ''))).toBe(false) // no recorded start: the pid alone decides
  })

  it('a pid that has exited is dead on this host, and never dead on another host', async () => {
    const gone = spawn(process.execPath, ['-e', ''])
    await new Promise((r) => gone.once('exit', r))
    expect(ownerIsDead(labels(gone.pid!, '1'))).toBe(true)
    expect(ownerIsDead(labels(gone.pid!, '1', `not-${hostname()}`))).toBe(false)
    expect(ownerIsDead(labels(process.pid, 'x', `not-${hostname()}`))).toBe(false)
    expect(ownerIsDead({ [LABEL.managed]: '1' })).toBe(false) // no owner labels: not ours to judge
  })
})

describe('the levrt command', () => {
  it('prints usage for help, --help and no command (exit 0), and on stderr for an unknown command or option (exit 2)', async () => {
    for (const args of [[], ['help'], ['--help'], ['gc', '--help']]) {
      const r = await cli(args)
      expect([r.code, r.stderr]).toEqual([0, ''])
      expect(r.stdout).toMatch(/^usage: levrt <command>/)
    }
    for (const args of [['frob'], ['gc', '--frob'], ['gc', 'extra']]) {
      const r = await cli(args)
      expect([r.code, r.stdout]).toEqual([2, ''])
      expect(r.stderr).toMatch(/^levrt: .+\n\nusage: levrt <command>/)
    }
  })

  it('prints the engine error and exits 1 when no engine answers', async () => {
    const r = await cli(['gc'], childEnv({ DOCKER_HOST: `unix://${join(home, 'no-engine.sock')}` }))
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^levrt gc: no Docker engine answers at unix:\/\/.*no-engine\.sock/)
  })
})
