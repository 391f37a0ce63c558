import type { Context } from '../context'
import { Document } from '../document'
import { keyIndexOnce } from '../history/lookup'
import type { Results } from '../results/records'
import type { RunRecord } from '../store'
import type { SaveFields } from '../store/json-fields'
import { ResultsLostError } from './errors'
import { LevError } from '../errors'
import type { Launched } from './launch'
import { failureOf, succeeded, type Ending } from './outcome'
import type { Prepared } from './prepare'
import { readRunResults } from './read-results'
import { saveResult } from './save'
import type { StopCause } from './stop'

/** A main container that has stopped, and what the run knows of it. */
export interface Stopped {
  readonly id: string
  readonly prepared: Prepared
  readonly main: Launched
  readonly exitCode: number
  readonly startedAt: Date
  readonly endedAt: Date
  readonly stopped: StopCause | undefined
}

/**
 * Reads a stopped run's results and stores them, with the bookkeeping under `_lev`, while
 * `teardown` removes what the run created (both always happen). Resolves with the Document, or
 * rejects with the run's failure (each failure carries the Document of what was stored).
 */
export async function collect(ctx: Context, run: Stopped, teardown: () => Promise<void>): Promise<Document> {
  const { prepared, main, exitCode } = run
  // 137 is SIGKILL: only then can it have been the OOM killer (an inspect costs a round trip).
  const oomKilled = exitCode === 137 ? await main.container.oomKilled().catch(() => false) : false
  let results: Results | undefined
  let failed: unknown
  try {
    results = await readRunResults(main)
  } catch (err) {
    failed = err
  }
  const ending: Ending = { exitCode, oomKilled, results, stopped: run.stopped }
  const ok = succeeded(ending)
  // Mutable until saved: a failure's error carries the Document, and the stored bookkeeping
  // carries the failure; the Document's record is this object, so both see the same.
  const record: { -readonly [K in keyof RunRecord]: RunRecord[K] } = {
    image: prepared.spec.image,
    containerId: main.container.id,
    exitCode,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    oomKilled,
    key: prepared.key,
    ok,
    ...(prepared.spec.name === undefined ? {} : { name: prepared.spec.name }),
  }
  const doc = new Document(prepared.store.collection(prepared.collection), run.id, record)
  // Results that could not be read: the run is still stored, as failed. A typed reason (the
  // engine gone) stays as it is; the engine's own error becomes a ResultsLostError.
  const failure =
    failed === undefined
      ? failureOf(ending, doc, run.id)
      : failed instanceof LevError
        ? failed
        : new ResultsLostError(prepared.spec.image, failed, doc)
  // Before teardown removes the container: a failed run keeps the tool's last lines.
  if (!ok) record.error = await failureRecord(ending, failure, main)
  const [, saved] = await Promise.allSettled([teardown(), save(ctx, run, results?.fields ?? {}, record)])
  if (saved.status === 'rejected') throw saved.reason
  if (failure) throw failure
  return doc
}

/** How many of the tool's last output lines a failed run's bookkeeping keeps. */
const TAIL_LINES = 20

async function failureRecord(
  ending: Ending,
  failure: Error | undefined,
  main: Launched,
): Promise<NonNullable<RunRecord['error']>> {
  const tail = await main.container.tail(TAIL_LINES).catch(() => '')
  if (failure) return { kind: failure.name, message: failure.message, tail }
  if (ending.oomKilled)
    return { kind: 'OutOfMemory', message: `killed for memory (exit ${ending.exitCode})`, tail }
  return { kind: 'ExitCode', message: `exited with code ${ending.exitCode}`, tail }
}

async function save(ctx: Context, run: Stopped, fields: SaveFields, record: RunRecord): Promise<void> {
  const { store, home, collection } = run.prepared
  await saveResult(
    store,
    { home, retries: ctx.memo.spoolRetries },
    { collection, id: run.id, fields, run: record },
  )
  // After the save: an index cannot be made on a collection the store cannot reach.
  await keyIndexOnce(store.key, store.collection(collection), ctx.memo.keyIndexes)
}
