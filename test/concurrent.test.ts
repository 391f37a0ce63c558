import { describe, expect, it } from 'vitest'
import {
  AbortedError,
  Concurrent,
  ContainerStartError,
  Cr,
  Document,
  OptionsError,
  TimeoutError,
  type ConcurrentOptions,
} from '../src/index'
import { rejection } from './support/async'
import { docker, levrtObjects } from './support/engine'
import { embeddedStoreLeavingNothing } from './support/env'

const sh = (script: string) => new Cr('levrt/busybox', { cmd: ['sh', '-c', script] })
/** A run that fails as it starts: the program does not exist. */
const broken = () => new Cr('levrt/busybox', { cmd: ['no-such-program'] })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits until this process has `n` containers running on the engine. */
async function runningContainers(n: number): Promise<void> {
  const filters = JSON.stringify({
    label: ['io.levrt.managed', `io.levrt.owner.pid=${process.pid}`],
    status: ['running'],
  })
  while ((await docker.listContainers({ filters })).length < n) await sleep(50)
}

/**
 * Samples this process's runs' containers on the engine until `stop()`; gives the most seen at
 * once. Role `main` only: the first run also fills the runtime volume through a short-lived
 * container of this process (for the session reaper), which is no run and not capped.
 */
function countContainers(): { stop(): Promise<number> } {
  const filters = JSON.stringify({
    label: ['io.levrt.managed', `io.levrt.owner.pid=${process.pid}`, 'io.levrt.role=main'],
  })
  let max = 0
  let running = true
  const loop = (async () => {
    while (running) {
      max = Math.max(max, (await docker.listContainers({ all: true, filters })).length)
      await sleep(50)
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return max
    },
  }
}

describe('Concurrent', () => {
  embeddedStoreLeavingNothing()

  it('runs at most `limit` containers at once, counted on the engine', async () => {
    const counter = countContainers()
    const docs = await Concurrent.run({ limit: 3 }, (c) =>
      Promise.all(Array.from({ length: 12 }, () => c.start(sh('sleep 1')))),
    )
    const max = await counter.stop()
    expect(docs).toHaveLength(12)
    for (const doc of docs) expect(doc).toBeInstanceOf(Document)
    expect(max).toBeLessThanOrEqual(3)
    expect(max).toBe(3)
    expect(await levrtObjects()).toMatchObject({ containers: 0 })
  })

  it('keeps going after a failure, and wait() rejects with every failure', async () => {
    const c = new Concurrent({ limit: 2 })
    const good = [c.start(sh('echo a')), c.start(sh('echo b'))]
    const bad = c.start(broken())
    const boom = new Error('boom')
    const fn = c.start(async () => {
      throw boom
    })
    const late = c.start(sh('sleep 0.5; echo c'))
    const err = await rejection(c.wait())
    expect(err).toBeInstanceOf(AggregateError)
    const errors = (err as AggregateError).errors
    expect(errors).toHaveLength(2)
    expect(errors).toContain(boom)
    expect(errors.find((e) => e instanceof ContainerStartError)).toBeDefined()
    // Each failure is also its own start()'s rejection; the others ran to the end.
    expect(await rejection(bad)).toBeInstanceOf(ContainerStartError)
    expect(await rejection(fn)).toBe(boom)
    for (const doc of await Promise.all([...good, late])) expect(doc.exitCode).toBe(0)
  })

  it('takes functions as work, capped alike, each given the group signal', async () => {
    let now = 0
    let most = 0
    const signals = new Set<AbortSignal>()
    const results = await Concurrent.run({ limit: 2 }, (c) =>
      Promise.all(
        [1, 2, 3, 4, 5, 6].map((n) =>
          c.start(async (signal) => {
            signals.add(signal)
            most = Math.max(most, ++now)
            await sleep(30)
            now--
            return n * 10
          }),
        ),
      ),
    )
    expect(results).toEqual([10, 20, 30, 40, 50, 60])
    expect(most).toBe(2)
    expect(signals.size).toBe(1)
    expect([...signals][0]).toBeInstanceOf(AbortSignal)
  })

  it('failFast: the first failure aborts running runs, queued work never starts, nothing is left', async () => {
    const started = Date.now()
    const c = new Concurrent({ limit: 3, failFast: true })
    const running = [c.start(sh('sleep 30')), c.start(sh('sleep 30'))]
    // The failure comes once both are really running (under load, a broken run fails before
    // others have started, and a run aborted while starting has no document yet).
    const failing = c.start(async () => {
      await runningContainers(2)
      await sleep(300) // past the instant between the engine's start and the run counting as started
      return broken()
    })
    let ran = 0
    const queued = [
      ...Array.from({ length: 4 }, () => c.start(sh('sleep 30'))),
      c.start(async () => {
        ran++
      }),
    ]
    const err = (await rejection(c.wait())) as AggregateError
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(err.errors[0]).toBeInstanceOf(ContainerStartError) // the cause comes first
    expect(err.errors).toHaveLength(8)
    expect(await rejection(failing)).toBe(err.errors[0])
    for (const p of [...running, ...queued]) expect(await rejection(p)).toBeInstanceOf(AbortedError)
    // The running ones were started: they keep what they stored; queued ones have no document.
    for (const p of running) expect(((await rejection(p)) as AbortedError).document).toBeInstanceOf(Document)
    for (const p of queued) expect(((await rejection(p)) as AbortedError).document).toBeUndefined()
    expect(ran).toBe(0)
    expect(await levrtObjects()).toMatchObject({ containers: 0, networks: 0 })
  })

  it('signal aborts the whole group', async () => {
    const controller = new AbortController()
    const started = Date.now()
    const c = new Concurrent({ limit: 2, signal: controller.signal })
    const all = Array.from({ length: 4 }, () => c.start(sh('sleep 30')))
    setTimeout(() => controller.abort(new Error('stop')), 1500)
    const err = (await rejection(c.wait())) as AggregateError
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(err.errors).toHaveLength(4)
    for (const p of all) expect(await rejection(p)).toBeInstanceOf(AbortedError)
    expect(await levrtObjects()).toMatchObject({ containers: 0 })
    // An aborted group takes no more work.
    expect(await rejection(c.start(async () => 1))).toBeInstanceOf(AbortedError)
    // Already aborted: nothing is created.
    const gone = new Concurrent({ signal: AbortSignal.abort() })
    expect(await rejection(gone.start(sh('true')))).toBeInstanceOf(AbortedError)
  })

  it('timeout aborts the whole group with a TimeoutError', async () => {
    const started = Date.now()
    const err = (await rejection(
      Concurrent.run({ limit: 1, timeout: 1500 }, (c) => {
        for (let i = 0; i < 3; i++) c.start(sh('sleep 30'))
      }),
    )) as AggregateError
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(err).toBeInstanceOf(AggregateError)
    expect(err.errors).toHaveLength(3)
    for (const e of err.errors) expect(e).toBeInstanceOf(TimeoutError)
    // The one that ran keeps its results so far; the two queued never started (and failed first).
    const documents = err.errors.map((e: TimeoutError) => e.document)
    expect(documents[2]).toBeInstanceOf(Document)
    expect(documents.slice(0, 2)).toEqual([undefined, undefined])
    expect(await levrtObjects()).toMatchObject({ containers: 0 })
  })

  it('await using waits for the group, and rethrows its failures', async () => {
    const settled: number[] = []
    {
      await using c = new Concurrent({ limit: 2 })
      for (const n of [1, 2, 3]) void c.start(sh(`sleep 0.${n}`)).then(() => settled.push(n))
    }
    expect(settled.sort()).toEqual([1, 2, 3])
    const err = await rejection(
      (async () => {
        await using c = new Concurrent()
        void c.start(broken())
      })(),
    )
    expect(err).toBeInstanceOf(AggregateError)
  })

  it('refuses work that is already running, and a disposed group', async () => {
    const c = new Concurrent()
    const cr = sh('true')
    const task = cr.start()
    expect(() => c.start(cr)).toThrow(OptionsError)
    // Misuse does not compile either.
    // @ts-expect-error a promise is already running
    expect(() => c.start(Promise.resolve(1))).toThrow(/already running/)
    const running = await task
    // @ts-expect-error a Task is a started run
    expect(() => c.start(running)).toThrow(OptionsError)
    // @ts-expect-error neither a Cr nor a function
    expect(() => c.start(42)).toThrow(OptionsError)
    const twice = sh('true')
    const first = c.start(twice)
    expect(() => c.start(twice)).toThrow(OptionsError)
    await first
    await running.done()
    await c[Symbol.asyncDispose]()
    expect(() => c.start(sh('true'))).toThrow(/disposed/)
  })

  it('refuses bad options with an OptionsError naming the option', () => {
    const bad: Array<[unknown, string]> = [
      [{ limit: 0 }, 'limit'],
      [{ limit: -2 }, 'limit'],
      [{ limit: 1.5 }, 'limit'],
      [{ limit: Number.NaN }, 'limit'],
      [{ limit: '3' }, 'limit'],
      [{ timeout: 0 }, 'timeout'],
      [{ timeout: Number.POSITIVE_INFINITY }, 'timeout'],
      [{ failFast: 'yes' }, 'failFast'],
      [{ signal: {} }, 'signal'],
      [{ limt: 3 }, 'limt'],
      [null, 'options'],
    ]
    for (const [options, option] of bad) {
      let err: unknown
      try {
        new Concurrent(options as ConcurrentOptions)
      } catch (e) {
        err = e
      }
      expect(err, JSON.stringify(options)).toBeInstanceOf(OptionsError)
      expect((err as OptionsError).option).toBe(option)
    }
  })
})
