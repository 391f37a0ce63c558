import { describe, expect, it } from 'vitest'
import { withContext } from '../../src/context'
import { Cr } from '../../src/cr'
import { gc, sweepOnce } from '../../src/engine/gc'
import { lab } from './lab'

describe('history on the in-memory engine and the embedded store', () => {
  it('reuse: a second run of the same key starts nothing; a changed env is a new key', async () => {
    const { engine, ctx } = lab(() => ({ records: '{"n":1}\n' }))
    const first = await withContext(ctx, () => new Cr('levrt/busybox', { env: ['A=1'] }))
    const again = await withContext(ctx, () => new Cr('levrt/busybox', { env: ['A=1'], reuse: true }))
    expect(again.reused).toBe(true)
    expect(again.run.key).toBe(first.run.key)
    expect(engine.count('create')).toBe(1)
    const changed = await withContext(ctx, () => new Cr('levrt/busybox', { env: ['A=2'], reuse: true }))
    expect(changed.reused).toBe(false)
    expect(changed.run.key).not.toBe(first.run.key)
    expect(engine.count('create')).toBe(2)
    expect(await changed.previous()).toBeNull()
  })

  it('a Cr started with start() (a target to link or signal) always runs, even with reuse', async () => {
    const { engine, ctx } = lab(() => ({ runMs: 20 }))
    await withContext(ctx, () => new Cr('levrt/busybox', { cmd: ['serve'] }))
    const task = await withContext(ctx, () =>
      new Cr('levrt/busybox', { cmd: ['serve'], reuse: true }).start(),
    )
    expect(task.host).toMatch(/^levrt-/)
    const doc = await task.done()
    expect(doc.reused).toBe(false)
    expect(engine.count('create')).toBe(2)
    // Awaited for its results, the same spec is reused.
    expect(
      (await withContext(ctx, () => new Cr('levrt/busybox', { cmd: ['serve'], reuse: true }))).reused,
    ).toBe(true)
    expect(engine.count('create')).toBe(2)
  })

  it('a failed run is never reused', async () => {
    let exitCode = 1
    const { engine, ctx } = lab(() => ({ exitCode }))
    await withContext(ctx, () => new Cr('levrt/busybox'))
    exitCode = 0
    const doc = await withContext(ctx, () => new Cr('levrt/busybox', { reuse: true }))
    expect(doc.reused).toBe(false)
    expect(engine.count('create')).toBe(2)
  })
})

describe('the sweep of dead runs leftovers', () => {
  it('sweeps each engine once, not only the first one asked', async () => {
    const a = lab()
    const b = lab()
    const sweeps = new WeakMap()
    await sweepOnce(a.engine, sweeps)
    await sweepOnce(b.engine, sweeps)
    await sweepOnce(a.engine, sweeps)
    expect(a.engine.count('list')).toBe(1)
    expect(b.engine.count('list')).toBe(1)
    expect((await gc(a.engine, { dryRun: true })).removed).toEqual([])
  })
})
