import type { Document } from '../document'
import { describe, LevError, type EntryFailure } from '../errors'

/**
 * A line of the run's records file is not a record (see the README's wire format). The good
 * lines are stored all the same: `document`.
 *
 * ```ts
 * try { await new Cr('you/masscan:1.0', 'talentsec/masscan@1.0', { cmd: ['scan.sh', ip] }) } catch (err) {
 *   if (err instanceof RecordError) console.log(`line ${err.line} was not a record; stored:`, await err.document.get())
 * }
 * ```
 */
export class RecordError extends LevError {
  readonly code = 'LEV_BAD_RECORD'
  /** The first line that is not a record. */
  readonly line: number
  constructor(
    /** Every line that is not a record, in file order, with why. */
    readonly problems: readonly { readonly line: number; readonly reason: string }[],
    readonly document: Document,
  ) {
    const [first, ...more] = problems
    const others = more.length === 0 ? '' : `; and lines ${more.map((p) => p.line).join(', ')}`
    super(
      `line ${first.line} of the run's records file is not a record: ${first.reason}${others} ` +
        '(the other records are stored)',
    )
    this.line = first.line
  }
}

/**
 * The entry threw (or rejected). Whatever it stored before failing is stored: `document`.
 * `failure.hostVariable` names a variable of the host module the entry used without being given it.
 *
 * ```ts
 * try { await scan('example.com') } catch (err) {
 *   if (err instanceof EntryError) console.log(err.failure.message, await err.document.get())   // why, and what it stored first
 * }
 * ```
 */
export class EntryError extends LevError {
  readonly code = 'LEV_ENTRY_FAILED'
  constructor(
    readonly failure: EntryFailure,
    readonly document: Document,
  ) {
    super(
      failure.hostVariable
        ? `the entry uses \`${failure.hostVariable}\`, a variable of the host module, which it was not given. ` +
            'An entry runs in the container as source: pass what it needs as arguments (remote(fn)(...args)).'
        : `the entry failed in the container: ${failure.stack ?? `${failure.name}: ${failure.message}`}`,
    )
  }
}

/**
 * The container ended, but its results could not be read back from the engine: the container
 * or its filesystem was gone (removed from outside, or lost by an engine restart), or the engine
 * failed the read. The run is stored as failed, with this reason: `document`; `cause` holds the
 * engine's error.
 *
 * ```ts
 * try { await new Cr('levrt/busybox', 'demo/scan@1.0', { cmd: ['sh', '-c', 'work'] }) } catch (err) {
 *   if (err instanceof ResultsLostError) console.error(err.message, err.document.exitCode)
 * }
 * ```
 */
export class ResultsLostError extends LevError {
  readonly code = 'LEV_RESULTS_LOST'
  constructor(
    readonly image: string,
    cause: unknown,
    readonly document: Document,
  ) {
    super(`the results of ${image} could not be read back from the engine: ${describe(cause)}`, { cause })
  }
}

/**
 * The run was aborted from the host (its AbortSignal, or the process being interrupted). If the
 * container had started, what it stored before is kept: `document`.
 *
 * ```ts
 * const stop = new AbortController()   // stop.abort() from a UI, a deadline, ...
 * try { await new Cr('levkit/nmap:1.0', 'talentsec/nmap@1.0', { entry: scan(ip), signal: stop.signal }) } catch (err) {
 *   if (err instanceof AbortedError) console.log('stopped; found so far:', await err.document?.get())
 * }
 * ```
 */
export class AbortedError extends LevError {
  readonly code = 'LEV_ABORTED'
  constructor(
    reason: unknown,
    readonly document?: Document,
  ) {
    super(`the run was aborted: ${describe(reason)}`, { cause: reason })
  }
}

/**
 * The run went past its `timeout`, or `idleTimeout` without output or a new record. It was
 * stopped (SIGTERM, then SIGKILL after a grace period); what it stored so far is `document`.
 * A `Concurrent` group's `timeout` rejects its stopped work with one too.
 *
 * ```ts
 * try { await new Cr('levkit/nmap:1.0', 'talentsec/nmap@1.0', { entry: scan(ip), timeout: 10 * 60_000, idleTimeout: 60_000 }) }
 * catch (err) { if (err instanceof TimeoutError) console.log(err.reason, err.limitMs, await err.document?.get()) }   // 'idle' 60000 {...}
 * ```
 */
export class TimeoutError extends LevError {
  readonly code = 'LEV_TIMEOUT'
  constructor(
    /** `'timeout'`: the whole run took too long; `'idle'`: it went silent too long. */
    readonly reason: 'timeout' | 'idle',
    /** The limit that was passed, in ms. */
    readonly limitMs: number,
    readonly document?: Document,
  ) {
    super(
      reason === 'timeout'
        ? `the run took longer than its timeout of ${limitMs} ms and was stopped`
        : `the run had no output and no new record for ${limitMs} ms (idleTimeout) and was stopped`,
    )
  }

  /** The same error, carrying the run's results so far. */
  withDocument(document: Document): TimeoutError {
    return new TimeoutError(this.reason, this.limitMs, document)
  }
}
