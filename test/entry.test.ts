import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, inject, it } from 'vitest'
import ts from 'typescript'
import {
  Cr,
  EntryError,
  lev,
  OptionsError,
  RecordError,
  remote,
  StoreUnavailableError,
  type Document,
  type Json,
} from '../src/index'
import { docker } from './support/engine'
import { rejection } from './support/async'
import { embeddedStoreLeavingNothing, useStore } from './support/env'
import { startProxy } from './support/proxy'

const NODE = 'levrt/node:20'

// The seed's own example.
const entry = remote(async (lev, target: string) => {
  lev.set({ target, issues: ['Some issues'] })
})
const scan = (target: string) => new Cr(NODE, 'ts/issues@1.0', { entry: entry(target) })

describe('remote entries and lev.set', () => {
  embeddedStoreLeavingNothing()

  it('runs the seed example as written', async () => {
    const doc = await scan('example.com')
    expect(await doc.get()).toEqual({ target: 'example.com', issues: ['Some issues'] })
    expect(doc.coll.collectionName).toBe('ts/issues@1.0')
    expect(doc.exitCode).toBe(0)
  })

  it('names collections by namespace: nested, chained and listed alike', async () => {
    const a = await lev.ns('example').run(() => scan('example.com'))
    const b = await lev.ns('httpbin', 'org').run(() => scan('httpbin.org'))
    const c = await lev
      .ns('httpbin')
      .ns('org')
      .run(() => scan('httpbin.org'))
    const d = await lev.ns('httpbin').run(() => lev.ns('org').run(() => scan('httpbin.org')))
    expect(a.coll.collectionName).toBe('example|ts/issues@1.0')
    for (const doc of [b, c, d]) expect(doc.coll.collectionName).toBe('httpbin|org|ts/issues@1.0')
    expect(await b.get()).toEqual({ target: 'httpbin.org', issues: ['Some issues'] })
    expect(await scan('x').then((doc) => doc.coll.collectionName)).toBe('ts/issues@1.0')
  })

  it('keeps concurrent runs in different namespaces apart', async () => {
    const slow = remote(async (lev, target: string, ms: number) => {
      await new Promise((r) => setTimeout(r, ms))
      lev.set({ target })
    })
    const jobs = ['a', 'b', 'c', 'a', 'b', 'c'].map((ns, i) =>
      lev.ns(ns).run(async () => {
        await new Promise((r) => setTimeout(r, (5 - i) * 20)) // interleave the starts
        const doc = await new Cr(NODE, 'ts/mix@1.0', { entry: slow(`${ns}-${i}`, (i % 3) * 150) })
        return { ns, i, doc }
      }),
    )
    for (const { ns, i, doc } of await Promise.all(jobs)) {
      expect(doc.coll.collectionName).toBe(`${ns}|ts/mix@1.0`)
      expect(await doc.get()).toEqual({ target: `${ns}-${i}` })
    }
  })

  it('merges lev.set calls into one document, later values winning', async () => {
    const doc = await new Cr(NODE, 'ts/merge@1.0', {
      entry: remote((lev) => {
        lev.set({ a: 1, b: { x: 1 } })
        lev.set({ b: { y: 2 }, c: [1, 'two', null] })
      }),
    })
    expect(await doc.get()).toEqual({ a: 1, b: { y: 2 }, c: [1, 'two', null] })
  })

  it('gives the entry node modules through require, and cmd as its argv', async () => {
    const doc = await new Cr(NODE, 'ts/argv@1.0', {
      cmd: ['--flag'],
      entry: remote((lev) => {
        const os = require('os') as typeof import('os')
        lev.set({ argv: process.argv.slice(2), platform: os.platform() })
      }),
    })
    expect(await doc.get()).toEqual({ argv: ['--flag'], platform: 'linux' })
  })

  it('ships a large entry as files instead of the environment', async () => {
    const big = 'x'.repeat(200_000)
    const doc = await new Cr(NODE, {
      cmd: ['--flag'],
      entry: remote((lev, s: string) => lev.set({ length: s.length, argv: process.argv.slice(2) }))(big),
    })
    expect(await doc.get()).toEqual({ length: 200_000, argv: ['--flag'] })
  })

  it('lets a tool running as another user than root write records', async () => {
    const image = 'levrt-test/nobody:1'
    const base = await docker.createContainer({ Image: 'levrt/busybox', Cmd: ['true'] })
    await base.commit({ repo: 'levrt-test/nobody', tag: '1', changes: ['USER nobody'] })
    await base.remove()
    try {
      const doc = await new Cr(image, {
        cmd: ['sh', '-c', 'printf \'{"user":"%s"}\\n\' "$(id -un)" >> "$LEV_RECORDS"'],
      })
      expect(doc.exitCode).toBe(0)
      expect(await doc.get()).toEqual({ user: 'nobody' })
    } finally {
      await docker.getImage(image).remove({ force: true })
    }
  })

  it('refuses arguments that do not survive JSON, on the host, before anything runs', () => {
    const fn = remote((_lev, _x: Json) => undefined) as unknown as (x: unknown) => unknown
    const cases: [unknown, string][] = [
      [new Date(), 'entry args[0]'],
      [{ when: new Date() }, 'entry args[0].when'],
      [[1, undefined], 'entry args[0][1]'],
      [() => 1, 'entry args[0]'],
      [10n, 'entry args[0]'],
      [Number.NaN, 'entry args[0]'],
      [new Map(), 'entry args[0]'],
    ]
    for (const [value, option] of cases) {
      let caught: unknown
      try {
        fn(value)
      } catch (err) {
        caught = err
      }
      expect(caught, String(value)).toBeInstanceOf(OptionsError)
      expect((caught as OptionsError).option).toBe(option)
    }
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(() => fn(cyclic)).toThrow(/circular/)
  })

  it('names a host variable the entry uses without being given it, and keeps what it stored', async () => {
    const secret = 'host-only'
    const leaky = remote((lev) => {
      lev.set({ before: true })
      lev.set({ secret })
    })
    const err = await rejection(new Cr(NODE, 'ts/leak@1.0', { entry: leaky }))
    expect(err).toBeInstanceOf(EntryError)
    expect((err as EntryError).failure.hostVariable).toBe('secret')
    expect((err as Error).message).toContain('`secret`')
    expect(await (err as EntryError).document.get()).toEqual({ before: true })
  })

  it('reports an entry that throws, with its message', async () => {
    const err = await rejection(
      new Cr(NODE, { entry: remote(async () => Promise.reject(new RangeError('bad target'))) }),
    )
    expect(err).toBeInstanceOf(EntryError)
    expect((err as Error).message).toContain('RangeError: bad target')
    expect((err as EntryError).document.exitCode).toBe(70)
  })

  it('runs in an image without node, with the node levrt brings (see any-image.test.ts)', async () => {
    const doc = await new Cr('levrt/busybox', { entry: entry('x') })
    expect(await doc.get()).toEqual({ target: 'x', issues: ['Some issues'] })
  })

  it('runs sources compiled for old targets (TypeScript helpers) and as methods', async () => {
    // What ts-node hands remote() when a project targets ES5: __awaiter and __generator calls.
    const js = ts.transpileModule(
      'module.exports = async (lev, n) => { await null; lev.set({ n, spread: { ...{ a: 1 } } }) }',
      {
        compilerOptions: { target: ts.ScriptTarget.ES5, module: ts.ModuleKind.CommonJS },
      },
    ).outputText
    const mod = { exports: {} as unknown }
    new Function('module', 'exports', 'require', js)(mod, mod.exports, require)
    const old = mod.exports as (lev: unknown, n: number) => Promise<void>
    expect(old.toString()).toContain('__awaiter')
    const doc = await new Cr(NODE, { entry: remote(old)(5) })
    expect(await doc.get()).toEqual({ n: 5, spread: { a: 1 } })

    const holder = {
      async method(lev: { set(d: object): void }, n: number) {
        lev.set({ method: n })
      },
    }
    expect(await (await new Cr(NODE, { entry: remote(holder.method)(7) })).get()).toEqual({ method: 7 })
  })

  it('runs sources compiled by tsx/esbuild with keepNames (__name calls)', async () => {
    // tsx (what `levrt run` loads .ts modules with) names inner functions and classes this way.
    const { register } = require('tsx/cjs/api') as { register(): () => void }
    const unregister = register()
    const dir = mkdtempSync(join(tmpdir(), 'levrt-tsx-'))
    try {
      writeFileSync(
        join(dir, 'entry.ts'),
        'export const fn = async (lev: any, n: number) => { const twice = (x: number) => x * 2; class Finding {}; lev.set({ n: twice(n), fn: twice.name, cls: Finding.name }) }\n',
      )
      const { fn } = require(join(dir, 'entry.ts')) as { fn: (lev: unknown, n: number) => Promise<void> }
      expect(fn.toString()).toContain('__name')
      expect(await (await new Cr(NODE, { entry: remote(fn)(4) })).get()).toEqual({
        n: 8,
        fn: 'twice',
        cls: 'Finding',
      })
    } finally {
      unregister()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('stores records from any program through the wire format, whatever it prints', async () => {
    const script = [
      'echo "noise {\\"not\\": \\"a record\\"}"',
      'printf \'{"tool":"sh","ports":[22,80]}\\n\' >> "$LEV_RECORDS"',
      'head -c 20000 /dev/urandom >&2',
      'printf \'{"ports":[443]}\\n\' >> "$LEV_RECORDS"',
    ].join('; ')
    const doc = await new Cr('levrt/busybox', 'sh/scan@1.0', { cmd: ['sh', '-c', script] })
    expect(await doc.get()).toEqual({ tool: 'sh', ports: [443] })
  })

  it('keeps the good records when a line is not one, and says which line', async () => {
    const script = 'printf \'{"a":1}\\nnot json\\n{"_id":"x"}\\n{"b":2}\\n\' >> "$LEV_RECORDS"'
    const err = await rejection(new Cr('levrt/busybox', { cmd: ['sh', '-c', script] }))
    expect(err).toBeInstanceOf(RecordError)
    expect((err as RecordError).line).toBe(2)
    expect(await (err as RecordError).document.get()).toEqual({ a: 1, b: 2 })
  })

  it('keeps records written before a kill, and drops only a record cut in half', async () => {
    const task = await new Cr(NODE, 'ts/killed@1.0', {
      entry: remote(async (lev) => {
        lev.set({ phase: 'started', found: ['a'] })
        require('fs').appendFileSync(process.env.LEV_RECORDS!, '{"half":')
        console.log('stored')
        await new Promise((r) => setTimeout(r, 60_000))
        lev.set({ phase: 'never' })
      }),
    }).start()
    await new Promise<void>((resolve) => task.stdout.once('data', () => resolve()))
    await task.signal('SIGKILL')
    const doc = await task
    expect(doc.exitCode).toBe(137)
    expect(await doc.get()).toEqual({ phase: 'started', found: ['a'] })
  })

  it('keeps records written before the entry crashes the process', async () => {
    const doc = await new Cr(NODE, {
      entry: remote((lev) => {
        lev.set({ saved: 'before the crash' })
        process.abort()
      }),
    })
    expect(doc.exitCode).toBeGreaterThan(128) // killed by its own signal
    expect(await doc.get()).toEqual({ saved: 'before the crash' })
  })
})

describe('a store that does not answer when the run ends', () => {
  it('keeps the result on disk, says where, and writes it when the store answers again', async () => {
    const upstream = new URL(inject('mongoUrl'))
    const proxy = await startProxy({ host: upstream.hostname, port: Number(upstream.port) })
    const env = useStore({
      mongoUrl: `mongodb://127.0.0.1:${proxy.port}/?serverSelectionTimeoutMS=1500`,
      db: 'levtest_spool',
    })
    try {
      await proxy.cut()
      const err = await rejection(scan('while-down.example'))
      expect(err).toBeInstanceOf(StoreUnavailableError)
      const { path } = err as StoreUnavailableError
      expect(path.startsWith(env.home)).toBe(true)
      expect(existsSync(path)).toBe(true)
      expect((err as Error).message).toContain(path)

      await proxy.restore()
      const next: Document = await scan('after.example')
      expect(await next.get()).toEqual({ target: 'after.example', issues: ['Some issues'] })
      // The spooled result is written by the next run (in the background) or the retry timer.
      const deadline = Date.now() + 15_000
      while (existsSync(path) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
      expect(existsSync(path)).toBe(false)
      expect(
        await next.coll.findOne({ target: 'while-down.example' }, { projection: { _id: 0, _lev: 0 } }),
      ).toEqual({
        target: 'while-down.example',
        issues: ['Some issues'],
      })
    } finally {
      env.restore()
      await proxy.close()
    }
  })
})
