import { describe, expect, it } from 'vitest'
import { withContext } from '../../src/context'
import { Cr } from '../../src/cr'
import { ContainerStartError, ImageUnavailableError } from '../../src/errors'
import { AbortedError, RecordError, ResultsLostError, TimeoutError } from '../../src/run/errors'
import { lab, rejection } from './lab'

/**
 * What a run without files, services, ports or records asks of the engine, once the context's
 * first run has swept: the image (the run key), create, start, wait, changes (whether it wrote
 * records: none, so no read) and remove. Nothing reads its output, so it is not attached.
 */
const PLAIN_RUN = ['image', 'create', 'start', 'wait', 'changes', 'remove']

describe('a run on the in-memory engine', () => {
  it('stores the records, records the exit code, and removes its container', async () => {
    const { engine, ctx } = lab(() => ({
      exitCode: 3,
      stdout: 'hi\n',
      records: '{"host":"a","open":[22]}\n{"open":[22,80]}\n',
    }))
    const doc = await withContext(ctx, () => new Cr('levrt/busybox', 'unit/run@1.0', { cmd: ['scan'] }))
    expect(doc.exitCode).toBe(3)
    expect(await doc.get()).toEqual({ host: 'a', open: [22, 80] })
    expect(doc.coll.collectionName).toBe('unit/run@1.0')
    expect(engine.leftovers()).toEqual([])
  })

  it('stores a run whose results cannot be read back as failed, and rejects typed', async () => {
    const { engine, ctx } = lab(() => ({
      exitCode: 0,
      records: '{"host":"a"}\n',
      readFails: '(HTTP code 500) server error - stat /var/lib/docker/overlay2/x: no such file or directory',
    }))
    const err = await rejection(
      withContext(ctx, () => new Cr('levrt/busybox', 'unit/lost@1.0', { cmd: ['scan'] })),
    )
    expect(err).toBeInstanceOf(ResultsLostError)
    const lost = err as ResultsLostError
    expect(lost.code).toBe('LEV_RESULTS_LOST')
    expect(lost.message).toMatch(/could not be read back from the engine: .*no such file/)
    const stored = await lost.document.coll.findOne(lost.document.filters)
    expect(stored?._lev).toMatchObject({ ok: false, exitCode: 0, error: { kind: 'ResultsLostError' } })
    expect(engine.leftovers()).toEqual([])
  })

  it('a container removed after its changes were read is a run whose results are lost, not one without records', async () => {
    const { engine, ctx } = lab(() => ({
      exitCode: 0,
      records: '{"token":"t127"}\n',
      removedAfterChanges: true,
    }))
    const err = await rejection(
      withContext(ctx, () => new Cr('levrt/busybox', 'unit/gone@1.0', { cmd: ['scan'] })),
    )
    expect(err).toBeInstanceOf(ResultsLostError)
    expect((err as ResultsLostError).message).toMatch(/removed before \/\.levrt\/out could be read/)
    const stored = await (err as ResultsLostError).document.coll.findOne(
      (err as ResultsLostError).document.filters,
    )
    expect(stored?._lev).toMatchObject({ ok: false, exitCode: 0, error: { kind: 'ResultsLostError' } })
    expect(engine.leftovers()).toEqual([])
  })

  it('reads the results when the engine answers changes without the results mount', async () => {
    const { engine, ctx } = lab(() => ({ records: '{"token":"t49"}\n', noChanges: true }))
    const doc = await withContext(ctx, () => new Cr('levrt/busybox', 'unit/empty@1.0', { cmd: ['scan'] }))
    expect(await doc.get()).toEqual({ token: 't49' })
    expect(engine.count('read')).toBe(1)
  })

  it('asks the engine only what a plain run needs', async () => {
    const { engine, ctx } = lab()
    const plain = () => withContext(ctx, () => new Cr('levrt/busybox', { cmd: ['true'] }))
    await plain()
    // The first run of a context sweeps dead runs' leftovers, once (one list); no reaper here.
    expect(engine.calls.splice(0)).toEqual(['image', 'list', ...PLAIN_RUN.slice(1)])
    await plain()
    expect(engine.calls.splice(0)).toEqual(PLAIN_RUN)
    await Promise.all([plain(), plain(), plain()])
    expect(engine.calls).toHaveLength(3 * PLAIN_RUN.length)
    for (const call of PLAIN_RUN) expect(engine.count(call)).toBe(3)
  })

  it('attaches to the output only when something reads it', async () => {
    const { engine, ctx } = lab(() => ({ stdout: 'hello\n' }))
    const task = await withContext(ctx, () => new Cr('levrt/busybox', { cmd: ['echo'] }).start())
    const out: Buffer[] = []
    for await (const chunk of task.stdout) out.push(chunk as Buffer)
    expect(Buffer.concat(out).toString()).toBe('hello\n')
    await task.done()
    expect(engine.count('attach')).toBe(1)
    await withContext(ctx, () => new Cr('levrt/busybox', { cmd: ['echo'], idleTimeout: 60_000 }))
    expect(engine.count('attach')).toBe(2)
  })

  it('takes the context of the scope that made the Cr, wherever it is awaited', async () => {
    const a = lab()
    const b = lab()
    const cr = withContext(a.ctx, () => new Cr('levrt/busybox', { cmd: ['true'] }))
    await withContext(b.ctx, () => cr)
    expect(a.engine.count('start')).toBe(1)
    expect(b.engine.count('start')).toBe(0)
  })

  it('fails with a typed error before creating anything when the image is missing', async () => {
    const { engine, ctx } = lab()
    const err = await rejection(withContext(ctx, () => new Cr('nobody/missing:1')))
    expect(err).toBeInstanceOf(ImageUnavailableError)
    expect(engine.count('create')).toBe(0)
  })

  it('removes everything when the container cannot start', async () => {
    const { engine, ctx } = lab(() => ({ startFails: 'exec: "nope": executable file not found' }))
    const err = await rejection(withContext(ctx, () => new Cr('levrt/busybox', { cmd: ['nope'] })))
    expect(err).toBeInstanceOf(ContainerStartError)
    expect(engine.leftovers()).toEqual([])
  })

  it('an abort while the container is being created ends the run with nothing left', async () => {
    const { engine, ctx } = lab(() => ({ createMs: 200, runMs: Infinity }))
    const controller = new AbortController()
    const run = withContext(ctx, () => new Cr('levrt/busybox', { signal: controller.signal }).start())
    setTimeout(() => controller.abort(new Error('user stop')), 50)
    const err = await rejection(run)
    expect(err).toBeInstanceOf(AbortedError)
    expect(engine.leftovers()).toEqual([])
    expect(engine.count('start')).toBe(0)
  })

  it('an abort of a started run kills it and keeps the records written so far', async () => {
    const { engine, ctx } = lab(() => ({ runMs: Infinity, records: '{"found":1}\n' }))
    const controller = new AbortController()
    const task = await withContext(ctx, () => new Cr('levrt/busybox', { signal: controller.signal }).start())
    controller.abort(new Error('enough'))
    const err = await rejection(task.done())
    expect(err).toBeInstanceOf(AbortedError)
    expect(await (err as AbortedError).document?.get()).toEqual({ found: 1 })
    expect(engine.leftovers()).toEqual([])
  })

  it('past its timeout, a tool that ignores SIGTERM is killed after the grace period', async () => {
    const { engine, ctx } = lab(() => ({ runMs: Infinity, ignoreTerm: true }))
    const started = Date.now()
    const err = await rejection(withContext(ctx, () => new Cr('levrt/busybox', { timeout: 100 })))
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as TimeoutError).reason).toBe('timeout')
    expect((err as TimeoutError).document?.run.exitCode).toBe(137)
    expect(Date.now() - started).toBeGreaterThanOrEqual(5_000) // the 5 s grace
    expect(engine.calls).toContain('stop')
    expect(engine.leftovers()).toEqual([])
  }, 15_000)

  it('idleTimeout stops a silent tool; output counts as activity', async () => {
    const { ctx } = lab(() => ({ runMs: Infinity }))
    const err = await rejection(withContext(ctx, () => new Cr('levrt/busybox', { idleTimeout: 100 })))
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as TimeoutError).reason).toBe('idle')
  })

  it('idleTimeout counts from the start of the main container, not through a slow bring-up', async () => {
    const { ctx } = lab(() => ({ createMs: 300, runMs: 50 }))
    const doc = await withContext(ctx, () => new Cr('levrt/busybox', { idleTimeout: 200 }))
    expect(doc.exitCode).toBe(0)
  })

  it('records an OOM kill', async () => {
    const { ctx } = lab(() => ({ oom: true }))
    const doc = await withContext(ctx, () => new Cr('levrt/busybox', { memory: '8m' }))
    expect(doc.exitCode).toBe(137)
    expect(doc.run.oomKilled).toBe(true)
  })

  it('a line that is not a record fails the run with a RecordError; the good lines are stored', async () => {
    const { ctx } = lab(() => ({ records: '{"a":1}\nnot json\n{"b":2}\n{"cut":' }))
    const err = await rejection(withContext(ctx, () => new Cr('levrt/busybox')))
    expect(err).toBeInstanceOf(RecordError)
    expect((err as RecordError).line).toBe(2)
    expect(await (err as RecordError).document.get()).toEqual({ a: 1, b: 2 })
  })

  it('task.signal() ends a running tool; its exit code is the signal', async () => {
    const { ctx } = lab(() => ({ runMs: Infinity }))
    const task = await withContext(ctx, () => new Cr('levrt/busybox').start())
    await task.signal('SIGTERM')
    expect((await task.done()).exitCode).toBe(143)
  })

  it('a Cr has catch and finally, like a promise', async () => {
    const { ctx } = lab(() => ({ startFails: 'boom' }))
    let settled = false
    const caught = await withContext(ctx, () =>
      new Cr('levrt/busybox').finally(() => (settled = true)).catch((e: unknown) => e),
    )
    expect(caught).toBeInstanceOf(ContainerStartError)
    expect(settled).toBe(true)
  })
})

describe('services and links on the in-memory engine', () => {
  it('a run with a service gets a network, and everything goes when it ends', async () => {
    const { engine, ctx } = lab((spec) =>
      spec.labels['io.levrt.role'] === 'main' ? {} : { runMs: Infinity },
    )
    const doc = await withContext(
      ctx,
      () => new Cr('levrt/busybox', { services: { db: new Cr('levrt/busybox') } }),
    )
    expect(doc.exitCode).toBe(0)
    expect(engine.count('createNetwork')).toBe(1)
    expect(engine.count('start')).toBe(2)
    expect(engine.leftovers()).toEqual([])
  })

  it('a service limit falls back to the run limit, resolved when the options are parsed', async () => {
    const { engine, ctx } = lab((spec) =>
      spec.labels['io.levrt.role'] === 'main' ? {} : { runMs: Infinity },
    )
    await withContext(
      ctx,
      () =>
        new Cr('levrt/busybox', { memory: '64m', services: { db: new Cr('levrt/busybox', { pids: 50 }) } }),
    )
    const limits = [...engine.containers.values()].map((c) => c.spec.limits)
    expect(limits).toContainEqual({ memoryBytes: 64 * 1024 * 1024, nanoCpus: undefined, pids: 50 })
  })
})
