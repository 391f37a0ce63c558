import { afterEach, describe, expect, it } from 'vitest'
import { withContext } from '../../src/context'
import { Cr } from '../../src/cr'
import { EngineUnavailableError, OptionsError } from '../../src/errors'
import { engineWaitMs } from '../../src/engine/wait-setting'
import { lab, rejection } from './lab'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

afterEach(() => {
  delete process.env.LEVRT_ENGINE_WAIT
})

describe('a run and an engine that went away (R0)', () => {
  it('a run started while the engine is away waits for it, then runs; nothing is left', async () => {
    const { engine, ctx } = lab(() => ({ records: '{"ok":1}\n' }))
    engine.away = true
    setTimeout(() => (engine.away = false), 600)
    const started = Date.now()
    const doc = await withContext(ctx, () => new Cr('levrt/busybox', { cmd: ['true'] }))
    expect(await doc.get()).toEqual({ ok: 1 })
    expect(Date.now() - started).toBeGreaterThanOrEqual(500)
    expect(engine.count('ping')).toBeGreaterThan(0)
    expect(engine.leftovers()).toEqual([])
  })

  it('waits LEVRT_ENGINE_WAIT at most, then fails with EngineUnavailableError', async () => {
    process.env.LEVRT_ENGINE_WAIT = '300ms'
    const { engine, ctx } = lab()
    engine.away = true
    const started = Date.now()
    const err = await rejection(withContext(ctx, () => new Cr('levrt/busybox', { cmd: ['true'] })))
    expect(err).toBeInstanceOf(EngineUnavailableError)
    expect(Date.now() - started).toBeGreaterThanOrEqual(280)
    expect(Date.now() - started).toBeLessThan(3_000)
  })

  it('LEVRT_ENGINE_WAIT=0 fails at once, as before', async () => {
    process.env.LEVRT_ENGINE_WAIT = '0'
    const { engine, ctx } = lab()
    engine.away = true
    const err = await rejection(withContext(ctx, () => new Cr('levrt/busybox', { cmd: ['true'] })))
    expect(err).toBeInstanceOf(EngineUnavailableError)
    expect(engine.count('ping')).toBe(0)
  })

  it('a healthy run never pings', async () => {
    const { engine, ctx } = lab()
    await withContext(ctx, () => new Cr('levrt/busybox', { cmd: ['true'] }))
    expect(engine.count('ping')).toBe(0)
  })

  it('what a run could not remove while the engine was away is removed once it answers', async () => {
    const { engine, ctx } = lab(() => ({ runMs: 200 }))
    const run = withContext(ctx, () => new Cr('levrt/busybox', { cmd: ['sleep'] }))
    const failed = rejection(run) // a Cr starts when awaited
    while (engine.count('start') === 0) await sleep(10)
    engine.away = true
    const err = await failed
    expect(err).toBeInstanceOf(EngineUnavailableError)
    expect(engine.leftovers()).toHaveLength(1)
    engine.away = false
    for (let i = 0; i < 40 && engine.leftovers().length; i++) await sleep(100)
    expect(engine.leftovers()).toEqual([])
    expect(ctx.memo.health(engine).isAway).toBe(false)
  })

  it('reads LEVRT_ENGINE_WAIT in milliseconds or with a unit', () => {
    expect(engineWaitMs({})).toBe(30_000)
    expect(engineWaitMs({ LEVRT_ENGINE_WAIT: '1500' })).toBe(1500)
    expect(engineWaitMs({ LEVRT_ENGINE_WAIT: '250ms' })).toBe(250)
    expect(engineWaitMs({ LEVRT_ENGINE_WAIT: '2.5s' })).toBe(2500)
    expect(() => engineWaitMs({ LEVRT_ENGINE_WAIT: 'soon' })).toThrow(OptionsError)
  })
})
