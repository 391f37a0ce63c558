import { execFileSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { Cr, createContext, StoreError, withContext, type Context } from '../../src/index'
import type { EmbeddedStore } from '../../src/store/embedded'

const IMAGE = 'levrt/busybox'
const SCHEMA = 'reliability/r6-disk@1.0'

export interface DiskOutcome {
  readonly problems: string[]
  /** Acknowledged documents not found, or found changed, after the disk was full. */
  readonly losses: number
  readonly note: string
}

/** A run storing `{ i, pad }`; resolves with its id, or rejects as the run does. */
async function store(ctx: Context, i: number): Promise<string> {
  const record = `{"i":${i},"pad":"${'x'.repeat(2000)}"}`
  const doc = await withContext(
    ctx,
    () => new Cr(IMAGE, SCHEMA, { cmd: ['sh', '-c', `echo '${record}' >> "$LEV_RECORDS"`] }),
  )
  return doc.filters._id
}

/** Fills the file system of `dir` with one file, up to its last byte. */
function fill(dir: string): void {
  const fd = openSync(join(dir, 'filler'), 'w')
  const block = Buffer.alloc(1 << 16, 1)
  try {
    for (;;) writeSync(fd, block)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
  } finally {
    closeSync(fd)
  }
}

/**
 * LEV_HOME on a 16 MiB tmpfs (mounted here, unmounted at the end: needs root): a few runs are
 * stored, the disk is filled, then runs on the embedded store and on an unreachable MongoDB
 * (whose spool is on that disk) must fail with a StoreError, and every acknowledged document
 * must read back unchanged; once space is freed, runs store again.
 */
export async function fullDisk(log: (line: string) => void): Promise<DiskOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'levrt-r6-disk-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir], { stdio: 'pipe' })
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    const why = String((err as { stderr?: Buffer }).stderr ?? err).trim()
    return { problems: [], losses: 0, note: `full disk not run: cannot mount a tmpfs (${why})` }
  }
  const problems: string[] = []
  const contexts: Context[] = []
  const context = (mongoUrl?: string) => {
    const ctx = createContext({ home: dir, log: 'quiet', ...(mongoUrl ? { mongoUrl } : {}) })
    contexts.push(ctx)
    return ctx
  }
  let losses = 0
  try {
    const embedded = context()
    const acknowledged = new Map<string, number>()
    for (let i = 0; i < 5; i++) acknowledged.set(await store(embedded, i), i)
    fill(dir)
    log('disk full')
    const unreachable = context('mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300')
    for (const [name, ctx] of [
      ['embedded', embedded],
      ['embedded', embedded],
      ['MongoDB away, spool on the full disk', unreachable],
    ] as const) {
      const err = await store(ctx, 99).then(
        () => new Error('stored on a full disk'),
        (e: unknown) => e,
      )
      log(`${name}: ${String(err).slice(0, 200)}`)
      if (!(err instanceof StoreError))
        problems.push(`${name} on a full disk: not a StoreError: ${String(err)}`)
    }
    rmSync(join(dir, 'filler'))
    acknowledged.set(await store(embedded, 5), 5)
    const coll = context().store().collection(SCHEMA)
    for (const [id, i] of acknowledged) {
      const doc = await coll.findOne({ _id: id }, { projection: { _id: 0, i: 1 } })
      if (!isDeepStrictEqual(doc, { i })) losses++
    }
    const count = await coll.countDocuments()
    if (count !== acknowledged.size) problems.push(`${count} documents for ${acknowledged.size} acknowledged`)
    return {
      problems,
      losses,
      note: `full disk: 3 typed StoreErrors, ${acknowledged.size} acknowledged kept`,
    }
  } finally {
    for (const ctx of contexts) {
      const s = ctx.store()
      if (s.kind === 'embedded') (s as EmbeddedStore).close()
    }
    try {
      execFileSync('umount', [dir], { stdio: 'pipe' })
    } catch {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' }) // a file still open: detach it now, free it when closed
    }
    rmSync(dir, { recursive: true, force: true })
  }
}
