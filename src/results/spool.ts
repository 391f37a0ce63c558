import { EJSON } from 'bson'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { RunRecord, Store, StoredDoc } from '../store'

/**
 * Results that could not be written because the store did not answer wait here, one EJSON
 * file per run, until a flush writes them to the store they were meant for.
 */
interface Spooled {
  readonly store: string
  readonly collection: string
  readonly id: string
  readonly fields: StoredDoc
  readonly run: RunRecord
}

const RETRY_MS = 2_000

export function spoolDir(home: string): string {
  return join(home, 'spool')
}

/** Keeps a result on disk; returns its path. */
/** The stores with a retry timer running, per home: one timer each (see scheduleRetry). */
export type SpoolRetries = Set<string>

export async function spool(
  home: string,
  store: Store,
  retries: SpoolRetries,
  result: {
    readonly collection: string
    readonly id: string
    readonly fields: StoredDoc
    readonly run: RunRecord
  },
): Promise<string> {
  const { collection, id, fields, run } = result
  const dir = spoolDir(home)
  await mkdir(dir, { recursive: true })
  const file = join(dir, `${id}.ejson`)
  const entry: Spooled = { store: store.key, collection, id, fields, run }
  await writeFile(`${file}.tmp`, EJSON.stringify(entry, { relaxed: false }))
  await rename(`${file}.tmp`, file)
  scheduleRetry(home, store, retries)
  return file
}

/**
 * Writes every spooled result meant for `store` and removes its file. Stops at the first
 * failure (the store is still away); returns how many were written.
 */
export async function flushSpool(home: string, store: Store): Promise<number> {
  let names: string[]
  try {
    names = (await readdir(spoolDir(home))).filter((n) => n.endsWith('.ejson'))
  } catch {
    return 0
  }
  let written = 0
  for (const name of names) {
    const file = join(spoolDir(home), name)
    let entry: Spooled
    try {
      entry = EJSON.parse(await readFile(file, 'utf8'), { relaxed: false }) as Spooled
    } catch {
      continue // taken by a concurrent flush, or half written
    }
    if (entry.store !== store.key) continue
    await store.save(entry.collection, entry.id, entry.fields, entry.run)
    await rm(file, { force: true })
    written++
  }
  return written
}

/** Retries in the background while this process lives; the timer never keeps it alive. */
function scheduleRetry(home: string, store: Store, retrying: SpoolRetries): void {
  const key = `${home}\n${store.key}`
  if (retrying.has(key)) return
  retrying.add(key)
  const attempt = () => {
    flushSpool(home, store).then(
      () => retrying.delete(key),
      () => setTimeout(attempt, RETRY_MS).unref(),
    )
  }
  setTimeout(attempt, RETRY_MS).unref()
}
