import type { Document } from '../document'
import { AbortedError, EntryError, RecordError, type TimeoutError } from '../errors'
import type { Results } from '../results/records'

/** How a started run ended, besides its exit code. */
export interface Ending {
  readonly exitCode: number
  readonly oomKilled: boolean
  /** Undefined when the results could not be read at all. */
  readonly results: Results | undefined
  readonly timedOut: TimeoutError | undefined
  /** Set when the run was aborted (its AbortSignal, a group, the process's signal). */
  readonly abortReason: unknown
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
    e.timedOut === undefined &&
    e.abortReason === undefined
  )
}

/** The error a stored run rejects with (each carries the Document), or undefined: it resolves. */
export function failureOf(e: Ending, doc: Document, runId: string): Error | undefined {
  const r = e.results!
  if (e.timedOut) return e.timedOut.withDocument(doc)
  if (r.cutLine) process.emitWarning(`levrt: the last record of run ${runId} was cut off (no newline) and not stored`)
  const problem = r.problems[0]
  if (problem) return new RecordError(problem.line, problem.reason, doc)
  if (r.failure) return new EntryError(r.failure, doc)
  if (e.abortReason !== undefined) return new AbortedError(e.abortReason, doc)
  return undefined
}
