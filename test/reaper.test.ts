import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { LABEL, LABEL_SCHEMA, reaperLabels } from '../src/docker/labels'
import { DockerEngine } from '../src/engine/docker-engine'
import { gc } from '../src/engine/gc'
import { docker, levrtObjects } from './support/engine'

/**
 * The session reaper: a workflow process killed with SIGKILL while its targets run leaves
 * nothing on the engine seconds later, with no `levrt gc`. Children run test/fixtures/gc-run.ts
 * on a host name of their own (a UTS namespace via `unshare`, as in gc.test.ts) so that no other
 * process's first-run sweep removes their leftovers in the test where the reaper is off.
 */

const FIXTURE = ['-r', 'ts-node/register/transpile-only', 'test/fixtures/gc-run.ts']
const TEST_HOST = `levrt-reaper-test-${process.pid}`

let home: string
let isolate = false
let before: Awaited<ReturnType<typeof levrtObjects>>
beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'levrt-reaper-test-'))
  before = await levrtObjects()
  const probe = spawn('unshare', ['--uts', 'true'], { stdio: 'ignore' })
  isolate = await new Promise<boolean>((resolve) => {
    probe.once('error', () => resolve(false))
    probe.once('exit', (code) => resolve(code === 0))
  })
})
afterAll(async () => {
  expect(await levrtObjects()).toEqual(before)
  rmSync(home, { recursive: true, force: true })
})

interface Child {
  readonly proc: ChildProcess
  readonly pid: number
  out: string
  readonly exited: Promise<number | null>
}
const children: Child[] = []

function start(mode: string, env: Record<string, string> = {}): Child {
  const node = [process.execPath, ...FIXTURE, mode]
  const [file, ...argv] = isolate
    ? ['unshare', '--uts', 'sh', '-c', 'hostname "$0" && exec "$@"', TEST_HOST, ...node]
    : node
  const childEnv: NodeJS.ProcessEnv = { ...process.env, TS_NODE_PROJECT: 'tsconfig.json', LEV_HOME: home }
  delete childEnv.LEV_MONGO_URL
  delete childEnv.LEVRT_REAPER
  // No sweep at the first run: only the reaper may remove what a dead child left.
  Object.assign(childEnv, { LEV_GC: 'off' }, env)
  const proc = spawn(file, argv, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  const child: Child = {
    proc,
    pid: proc.pid!,
    out: '',
    exited: new Promise((resolve) => proc.once('exit', (code) => resolve(code))),
  }
  proc.stdout!.on('data', (c: Buffer) => (child.out += c.toString('utf8')))
  proc.stderr!.on('data', (c: Buffer) => (child.out += c.toString('utf8')))
  children.push(child)
  return child
}

async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
): Promise<number> {
  const begun = Date.now()
  while (!(await check())) {
    if (Date.now() - begun > timeoutMs) throw new Error(`not ${what} within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
  return Date.now() - begun
}

/** What the engine holds of a child: its runs' objects, and its reapers. */
async function objectsOf(pid: number) {
  const owned = JSON.stringify({ label: [LABEL.managed, `${LABEL.ownerPid}=${pid}`] })
  const reaping = JSON.stringify({ label: [LABEL.managed, `${LABEL.reapsPid}=${pid}`] })
  const [containers, networks, reapers] = await Promise.all([
    docker.listContainers({ all: true, filters: owned }),
    docker.listNetworks({ filters: owned }),
    docker.listContainers({ all: true, filters: reaping }),
  ])
  return { containers: containers.length, networks: networks.length, reapers: reapers.length }
}

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL')
    await child.exited
    const filters = JSON.stringify({ label: [LABEL.managed, `${LABEL.ownerPid}=${child.pid}`] })
    for (const c of await docker.listContainers({ all: true, filters }))
      await docker.getContainer(c.Id).remove({ force: true })
    for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove()
  }
})

const ready = (child: Child) => until('ready', () => /^ready /m.test(child.out), 60_000)

describe('the session reaper', () => {
  it('removes what a SIGKILLed workflow left running (main, sidecar, network) within seconds, then itself; no gc', async () => {
    const child = start('live')
    await ready(child)
    expect(await objectsOf(child.pid)).toEqual({ containers: 2, networks: 1, reapers: 1 })
    child.proc.kill('SIGKILL')
    await child.exited
    const took = await until(
      'removed',
      async () =>
        JSON.stringify(await objectsOf(child.pid)) ===
        JSON.stringify({ containers: 0, networks: 0, reapers: 0 }),
      15_000,
    )
    expect(took).toBeLessThan(15_000)
  }, 120_000)

  it('is not there with LEVRT_REAPER=off: the SIGKILLed workflow leaves its objects (for levrt gc)', async () => {
    const child = start('live', { LEVRT_REAPER: 'off' })
    await ready(child)
    expect(await objectsOf(child.pid)).toEqual({ containers: 2, networks: 1, reapers: 0 })
    child.proc.kill('SIGKILL')
    await child.exited
    await new Promise((r) => setTimeout(r, 3000))
    expect(await objectsOf(child.pid)).toEqual({ containers: 2, networks: 1, reapers: 0 })
  }, 120_000)

  it('goes away with a process that ends normally', async () => {
    const child = start('quick')
    expect(await child.exited).toBe(0)
    expect(child.out).toMatch(/^done /m)
    await until('gone', async () => (await objectsOf(child.pid)).reapers === 0, 10_000)
  }, 120_000)

  it('a bad LEVRT_REAPER is an OptionsError naming it, before anything is created', async () => {
    const child = start('quick', { LEVRT_REAPER: 'of' })
    expect(await child.exited).toBe(1)
    expect(child.out).toContain('invalid option LEVRT_REAPER: "of" is not on or off')
    expect(await objectsOf(child.pid)).toEqual({ containers: 0, networks: 0, reapers: 0 })
  }, 120_000)

  it('levrt gc removes a reaper that outlived its process and keeps a live one', async () => {
    const done = start('quick', { LEVRT_REAPER: 'off' })
    await done.exited
    const labelsOf = (pid: number, host: string) => ({
      ...reaperLabels(),
      [LABEL.reapsPid]: String(pid),
      [LABEL.reapsHost]: host,
    })
    const make = (labels: Record<string, string>) =>
      docker.createContainer({ Image: 'levrt/busybox', Cmd: ['true'], Labels: labels })
    const stuck = await make(labelsOf(done.pid, reaperLabels()[LABEL.reapsHost]))
    const live = await make(reaperLabels())
    try {
      const { removed } = await gc(new DockerEngine())
      const ids = removed.map((o) => o.id)
      expect(ids).toContain(stuck.id)
      expect(ids).not.toContain(live.id)
      expect(removed.find((o) => o.id === stuck.id)?.labels[LABEL.managed]).toBe(LABEL_SCHEMA)
    } finally {
      await stuck.remove({ force: true }).catch(() => undefined)
      await live.remove({ force: true })
    }
  }, 60_000)
})
