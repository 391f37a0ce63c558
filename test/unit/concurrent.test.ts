import { describe, expect, it } from 'vitest'
import { Concurrent } from '../../src/concurrent'
import { withContext } from '../../src/context'
import { Cr } from '../../src/cr'
import { OptionsError } from '../../src/errors'
import { AbortedError, TimeoutError } from '../../src/run/errors'
import { lab, rejection } from './lab'

describe('Concurrent on the in-memory engine', () => {
  it('never runs more than its limit at once, and reaches it', async () => {
    const { engine, ctx } = lab(() => ({ runMs: 30 }))
    await withContext(ctx, async () => {
      const group = new Concurrent({ limit: 3 })
      for (let i = 0; i < 12; i++) group.start(new Cr('levrt/busybox', { cmd: [String(i)] }))
      await group.wait()
    })
    expect(engine.maxRunning).toBe(3)
    expect(engine.count('start')).toBe(12)
    expect(engine.leftovers()).toEqual([])
  })

  it('failFast: the first failure aborts the running runs and queued work never starts', async () => {
    const { engine, ctx } = lab((spec) =>
      spec.cmd?.[0] === 'fail' ? { startFails: 'boom', createMs: 20 } : { runMs: Infinity },
    )
    const err = await withContext(ctx, async () => {
      const group = new Concurrent({ limit: 2, failFast: true })
      group.start(new Cr('levrt/busybox', { cmd: ['run'] }))
      group.start(new Cr('levrt/busybox', { cmd: ['fail'] }))
      for (let i = 0; i < 5; i++) group.start(new Cr('levrt/busybox', { cmd: ['queued'] }))
      return rejection(group.wait())
    })
    expect(err).toBeInstanceOf(AggregateError)
    expect((err as AggregateError).errors.some((e) => e instanceof AbortedError)).toBe(true)
    expect(engine.containers.size).toBe(2)
    expect(engine.leftovers()).toEqual([])
  })

  it('timeout ends the whole group with a TimeoutError', async () => {
    const { engine, ctx } = lab(() => ({ runMs: Infinity }))
    const err = await withContext(ctx, async () => {
      const group = new Concurrent({ limit: 2, timeout: 100 })
      group.start(new Cr('levrt/busybox'))
      group.start(new Cr('levrt/busybox'))
      return rejection(group.wait())
    })
    expect((err as AggregateError).errors.every((e) => e instanceof TimeoutError)).toBe(true)
    expect(engine.leftovers()).toEqual([])
  })

  it('refuses a Cr that was started, or given to another group', async () => {
    const { ctx } = lab()
    await withContext(ctx, async () => {
      const cr = new Cr('levrt/busybox')
      const a = new Concurrent()
      a.start(cr)
      expect(() => new Concurrent().start(cr)).toThrow(OptionsError)
      await a.wait()
    })
  })
})
