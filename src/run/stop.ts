import { AbortedError, type TimeoutError } from './errors'

/** Why a run is being stopped before its tool ended by itself: one cause, the first one given. */
export type StopCause =
  | { readonly kind: 'abort'; readonly reason: unknown }
  | { readonly kind: 'timeout'; readonly error: TimeoutError }

/**
 * The stop request of one run, shared by its start-up and its started phase: the first cause
 * wins, and `signal` interrupts the waits in progress (port waits, sidecar start-ups).
 */
export class StopRequest {
  private first: StopCause | undefined
  private readonly controller = new AbortController()

  get cause(): StopCause | undefined {
    return this.first
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  /** Records the cause (if none yet) and interrupts waits; returns the cause in force. */
  request(cause: StopCause): StopCause {
    this.first ??= cause
    this.controller.abort(this.first.kind === 'abort' ? this.first.reason : this.first.error)
    return this.first
  }

  /** The error a run that was stopped while starting fails with. */
  error(): Error | undefined {
    const cause = this.first
    if (!cause) return undefined
    return cause.kind === 'timeout' ? cause.error : new AbortedError(cause.reason)
  }

  /** Throws if a stop was requested: called between start-up steps. */
  throwIfStopped(): void {
    const err = this.error()
    if (err) throw err
  }
}
