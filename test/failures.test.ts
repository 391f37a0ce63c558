import { execFile } from 'node:child_process'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Cr, EntryError, OptionsError, remote, withContext } from '../src/index'
import { contextOf } from '../src/context'
import { DockerEngine } from '../src/engine/docker-engine'
import { createSink } from '../src/log'
import { embeddedStoreLeavingNothing } from './support/env'

/** Failures that read well: a Cr's `name`, and a failed run's stored bookkeeping carrying its error. */
embeddedStoreLeavingNothing()

const lastLines = (n: number) => `for i in $(seq 1 ${n}); do echo line-$i; done`

describe('the name option', () => {
  it('names the run in the live log and in the stored bookkeeping', async () => {
    const writes: string[] = []
    const ctx = contextOf({
      engine: new DockerEngine(),
      log: createSink('plain', { isTTY: false, columns: 100, write: (s: string) => writes.push(s) }),
    })
    const doc = await withContext(
      ctx,
      () => new Cr('levrt/busybox', { name: 'probe-web-80', cmd: ['sh', '-c', 'echo hello'] }),
    )
    const log = writes.join('')
    expect(log).toMatch(/^probe-web-80 -- started/m)
    expect(log).toMatch(/^probe-web-80 \| hello$/m)
    expect(log).not.toMatch(/busybox-1/)
    expect(doc.run.name).toBe('probe-web-80')
    const stored = await doc.coll.findOne(doc.filters, { projection: { _lev: 1 } })
    expect((stored?._lev as { name?: string }).name).toBe('probe-web-80')
  }, 60_000)

  it('refuses a name that is not one word, and a name on a service, before anything is created', () => {
    for (const bad of ['', 'two words', '-x', 'x'.repeat(64), 7]) {
      const err = (() => {
        try {
          new Cr('levrt/busybox', { name: bad as string })
        } catch (e) {
          return e
        }
      })()
      expect(err).toBeInstanceOf(OptionsError)
      expect((err as OptionsError).option).toBe('name')
    }
    expect(
      () => new Cr('levrt/busybox', { services: { db: new Cr('levrt/busybox', { name: 'db' }) } }),
    ).toThrow('invalid option services.db: a service is named by its key: drop name')
  })
})

describe("a failed run's bookkeeping", () => {
  it('carries the exit code failure and the last 20 lines of the tool', async () => {
    const doc = await new Cr('levrt/busybox', { cmd: ['sh', '-c', `${lastLines(30)}; exit 3`] })
    expect(doc.exitCode).toBe(3)
    const stored = await doc.coll.findOne(doc.filters)
    const lev = stored?._lev as { ok: boolean; error?: { kind: string; message: string; tail: string } }
    expect(lev.ok).toBe(false)
    expect(lev.error?.kind).toBe('ExitCode')
    expect(lev.error?.message).toBe('exited with code 3')
    expect(lev.error?.tail.trim().split('\n')).toEqual(Array.from({ length: 20 }, (_, i) => `line-${i + 11}`))
    expect(doc.run.error).toEqual(lev.error)
  }, 60_000)

  it("carries an entry's error: its kind and message", async () => {
    const err = await new Cr('levrt/busybox', {
      entry: remote(() => {
        console.log('about to fail')
        throw new Error('no route to the target')
      }),
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(EntryError)
    const doc = (err as EntryError).document!
    const lev = (await doc.coll.findOne(doc.filters))?._lev as {
      error?: { kind: string; message: string; tail: string }
    }
    expect(lev.error?.kind).toBe('EntryError')
    expect(lev.error?.message).toContain('no route to the target')
    expect(lev.error?.tail).toContain('about to fail')
  }, 60_000)

  it('a successful run stores no error', async () => {
    const doc = await new Cr('levrt/busybox', { cmd: ['true'] })
    const lev = (await doc.coll.findOne(doc.filters))?._lev as Record<string, unknown>
    expect(lev.ok).toBe(true)
    expect('error' in lev).toBe(false)
    expect('name' in lev).toBe(false)
  }, 60_000)
})

describe('levrt run on a failing entry', () => {
  it('prints the stack once (the live log shows the container stderr), then a one-line summary', async () => {
    const bin = join(resolve(__dirname, '..'), 'dist/cli/levrt.js')
    const args = [bin, 'run', 'test/fixtures/cli-entry-fails.ts', 'probe', '--param', 'target=example']
    const r = await new Promise<{ code: number | null; stderr: string; stdout: string }>((done) => {
      execFile(
        process.execPath,
        args,
        { env: { ...process.env, LEVRT_LOG: 'plain', LEV_GC: 'off' } },
        (err, stdout, stderr) =>
          done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      )
    })
    expect(r.code).toBe(1)
    expect(JSON.parse(r.stdout)).toEqual({ target: 'example' })
    const lines = r.stderr.trim().split('\n')
    const frames = lines.filter((l) => /^\s*(probe !)?\s+at /.test(l) || / at .*<anonymous>/.test(l))
    expect(frames.length).toBeGreaterThan(0)
    for (const frame of frames) expect(frame).toMatch(/^probe ! /)
    // The entry's frame names the user's file and the line that threw (levrt run loads it with tsx).
    expect(frames[0]).toContain(`${resolve(__dirname, 'fixtures/cli-entry-fails.ts')}:6`)
    expect(lines.at(-1)).toBe(
      'levrt run: probe failed: the entry failed in the container: Error: not a host name: example [LEV_ENTRY_FAILED]',
    )
  }, 60_000)

  it('under ts-node too, the entry frame names the user file and line', async () => {
    const script =
      "require('./test/fixtures/cli-entry-fails.ts').probe('example').catch((e) => console.log(e.message))"
    const out = await new Promise<string>((done) =>
      execFile(
        process.execPath,
        ['-r', 'ts-node/register/transpile-only', '-e', script],
        { env: { ...process.env, LEV_GC: 'off', TS_NODE_PROJECT: 'tsconfig.json' } },
        (_err, stdout) => done(stdout),
      ),
    )
    expect(out).toContain('Error: not a host name: example')
    expect(out).toContain(`at eval (${resolve(__dirname, 'fixtures/cli-entry-fails.ts')}:6)`)
  }, 60_000)
})
