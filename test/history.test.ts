import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import {
  createContext,
  Cr,
  remote,
  StoreError,
  withContext,
  type CrOptions,
  type Document,
} from '../src/index'
import { docker, levrtObjects } from './support/engine'
import { useStore } from './support/env'

const SCHEMA = 'test/history@1.0'

/** A tool whose findings come from a sidecar web page: services are not part of the key, so the key stays while the findings change. */
function scanOf(page: string, options: Omit<CrOptions, 'cmd' | 'services'> = {}): Cr {
  const web = new Cr('levrt/busybox', {
    cmd: ['httpd', '-f', '-p', '80', '-h', '/www'],
    files: { '/www/index.html': page },
    ports: [80],
  })
  return new Cr('levrt/busybox', SCHEMA, {
    ...options,
    cmd: ['sh', '-c', 'wget -qO- http://web/ >> "$LEV_RECORDS"'],
    services: { web },
  })
}
const record = (fields: object) => `${JSON.stringify(fields)}\n`

/** How many containers this process created on the engine while `fn` ran (engine events). */
async function containersCreatedDuring(fn: () => Promise<unknown>): Promise<number> {
  const since = (Date.now() / 1000).toFixed(3)
  await fn()
  const until = (Date.now() / 1000 + 0.5).toFixed(3)
  const filters = JSON.stringify({
    type: ['container'],
    event: ['create'],
    label: [`io.levrt.owner.pid=${process.pid}`],
  })
  const stream = (await (docker.getEvents as (o: object) => Promise<unknown>)({
    since,
    until,
    filters,
  })) as NodeJS.ReadableStream
  let text = ''
  for await (const chunk of stream) text += chunk.toString()
  return text.split('\n').filter((l) => l.trim()).length
}

const stores = [
  ['embedded', () => 'embedded' as const],
  ['MongoDB', () => ({ mongoUrl: inject('mongoUrl'), db: `history_${process.pid}` })],
] as const

describe.each(stores)('history on the %s store', (_name, target) => {
  let env: ReturnType<typeof useStore>
  let before: Awaited<ReturnType<typeof levrtObjects>>
  let local: string
  beforeAll(async () => {
    env = useStore(target())
    before = await levrtObjects()
    local = mkdtempSync(join(tmpdir(), 'levrt-history-'))
  })
  afterEach(() => {
    delete process.env.LEVRT_REUSE
  })
  afterAll(async () => {
    expect(await levrtObjects()).toEqual(before)
    rmSync(local, { recursive: true, force: true })
    env.restore()
  })

  it('keys runs by what decides their result, and finds the previous one', async () => {
    const first = await scanOf(record({ open: [22, 80], os: 'Linux 5' }))
    const second = await scanOf(record({ open: [80, 22, 8080], os: 'Linux 6' }))
    expect(first.run.key).toMatch(/^[0-9a-f]{64}$/)
    expect(second.run.key).toBe(first.run.key)
    expect(second.run.ok).toBe(true)
    expect(await first.previous()).toBeNull()
    expect((await second.previous())?.filters).toEqual(first.filters)
    expect(await second.changes()).toEqual([
      { op: 'added', path: ['open'], value: 8080 },
      { op: 'changed', path: ['os'], before: 'Linux 5', value: 'Linux 6' },
    ])
    expect(await first.changes()).toEqual([])
    expect(await first.changes(second)).toEqual([
      { op: 'removed', path: ['open'], value: 8080 },
      { op: 'changed', path: ['os'], before: 'Linux 6', value: 'Linux 5' },
    ])
  })

  it('changes the key with the command, env, entry arguments, files, schema or namespace', async () => {
    const sh = (cmd: string, options: Omit<CrOptions, 'cmd'> = {}) =>
      new Cr('levrt/busybox', SCHEMA, { ...options, cmd: ['sh', '-c', cmd] })
    writeFileSync(join(local, 'wordlist'), 'admin\nroot\n')
    const keys = [
      (await sh('true')).run.key,
      (await sh('true ')).run.key,
      (await sh('true', { env: { A: '1' } })).run.key,
      (await sh('true', { files: { '/w': { path: join(local, 'wordlist') } } })).run.key,
      (await new Cr('levrt/busybox', 'test/other@1.0', { cmd: ['sh', '-c', 'true'] })).run.key,
    ]
    writeFileSync(join(local, 'wordlist'), 'admin\nroot\nguest\n')
    keys.push((await sh('true', { files: { '/w': { path: join(local, 'wordlist') } } })).run.key)
    const entry = remote(async (lev, n: number) => lev.set({ n }))
    keys.push((await new Cr('levrt/node:20', SCHEMA, { entry: entry(1) })).run.key)
    keys.push((await new Cr('levrt/node:20', SCHEMA, { entry: entry(2) })).run.key)
    expect(new Set(keys).size).toBe(keys.length)
    // The same inputs give the same key.
    expect((await sh('true')).run.key).toBe(keys[0])
  })

  it('reuse: a successful run with the same key stands in, and no container starts', async () => {
    const first = await scanOf(record({ open: [443] }))
    let reused!: Document
    const created = await containersCreatedDuring(async () => {
      reused = await scanOf(record({ open: [1] }), { reuse: true })
    })
    expect(created).toBe(0)
    expect(reused.reused).toBe(true)
    expect(reused.filters).toEqual(first.filters)
    expect(await reused.get()).toEqual({ open: [443] })
    // Without reuse, the same key runs again.
    expect((await scanOf(record({ open: [2] }))).reused).toBe(false)
  })

  it('reuse skips failed runs, honours maxAge, and a changed key runs for real', async () => {
    const failing = (reuse?: CrOptions['reuse']) =>
      new Cr('levrt/busybox', 'test/failing@1.0', { cmd: ['sh', '-c', 'exit 1'], reuse })
    expect((await failing()).run.ok).toBe(false)
    expect((await failing(true)).reused).toBe(false)
    await scanOf(record({ age: 'old' }))
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect((await scanOf(record({}), { reuse: { maxAge: 100 } })).reused).toBe(false)
    expect((await scanOf(record({}), { reuse: { maxAge: 60_000 } })).reused).toBe(true)
  })

  it('a rebuilt image is a new key', async () => {
    const image = docker.getImage('levrt/busybox')
    await image.tag({ repo: 'levrt-test/tool', tag: 'history' })
    try {
      const run = () => new Cr('levrt-test/tool:history', 'test/rebuilt@1.0', { cmd: ['true'], reuse: true })
      const first = await run()
      expect((await run()).reused).toBe(true)
      // "Rebuilt": the tag now names another image.
      await docker.getImage('levrt/node:20').tag({ repo: 'levrt-test/tool', tag: 'history' })
      const after = await run()
      expect(after.reused).toBe(false)
      expect(after.run.key).not.toBe(first.run.key)
    } finally {
      await docker
        .getImage('levrt-test/tool:history')
        .remove({ noprune: true })
        .catch(() => undefined)
    }
  })

  it('LEVRT_REUSE=1 turns reuse on for every Cr; a Cr can still say no', async () => {
    const first = await scanOf(record({ env: 1 }))
    process.env.LEVRT_REUSE = '1'
    expect((await scanOf(record({}))).filters).toEqual(first.filters)
    expect((await scanOf(record({}), { reuse: false })).reused).toBe(false)
  })
})

describe('reuse with a store that does not answer', () => {
  it('fails typed (StoreError) before anything is created, not with the driver error', async () => {
    const home = mkdtempSync(join(tmpdir(), 'levrt-reuse-away-'))
    try {
      const ctx = createContext({ mongoUrl: 'mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300', home })
      const err = await withContext(ctx, () => new Cr('levrt/busybox', { cmd: ['true'], reuse: true })).then(
        () => new Error('it ran'),
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(StoreError)
      expect((err as StoreError).unreachable).toBe(true)
      expect(await levrtObjects()).toMatchObject({ containers: 0 })
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
  })
})
