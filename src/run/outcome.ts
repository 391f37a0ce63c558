import type { Document } from '../document'
import type { Results } from '../results/records'
import { AbortedError, EntryError, RecordError } from './errors'
import type { StopCause } from './stop'

/** How a started run ended, besides its exit code. */
export interface Ending {
  readonly exitCode: number
  readonly oomKilled: boolean
  /** Undefined when the results could not be read at all. */
  readonly results: Results | undefined
  /** Set when the run was stopped: aborted (its AbortSignal, a group, a signal) or past a time limit. */
  readonly stopped: StopCause | undefined
}

/** A run `reuse` may stand in for: exit code 0, nothing killed, cut, refused or thrown. */
export function succeeded(e: Ending): boolean {
  const r = e.results
  return (
    e.exitCode === 0 &&
    !e.oomKilled &&
    r !== undefined &&
    !r.failure &&
    r.problems.length === 0 &&
    !r.cutLine &&
    e.stopped === undefined
  )
}

/** The error a stored run rejects with (each carries the Document), or undefined: it resolves. */
export function failureOf(e: Ending, doc: Document, runId: string): Error | undefined {
  const r = e.results!
  if (e.stopped?.kind === 'timeout') return e.stopped.error.withDocument(doc)
  if (r.cutLine)
    process.emitWarning(`levrt: the last record of run ${runId} was cut off (no newline) and not stored`)
  if (r.problems.length > 0) return new RecordError(r.problems, doc)
  if (r.failure) return new EntryError(r.failure, doc)
  if (e.stopped?.kind === 'abort') return new AbortedError(e.stopped.reason, doc)
  return undefined
}
