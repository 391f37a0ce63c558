import { setMaxListeners } from 'node:events'
import pLimit, { type LimitFunction } from 'p-limit'
import { currentContext } from './context'
import { CLAIM, START_WITH, type Cr } from './cr'
import type { Document } from './document'
import { describe, OptionsError } from './errors'
import { AbortedError, TimeoutError } from './run/errors'
import type { GroupCounts, GroupLog } from './log'

/**
 * Options of a `Concurrent` group.
 *
 * ```ts
 * const options: ConcurrentOptions = { limit: 4, failFast: true, timeout: 30 * 60_000 }
 * await Concurrent.run(options, (c) => { for (const ip of ips) c.start(scan(ip)) })
 * ```
 */
export interface ConcurrentOptions {
  /** The most work running at once: a positive integer. Omitted: no limit. */
  readonly limit?: number
  /** The first failure aborts the rest: queued work never starts, running runs are aborted. */
  readonly failFast?: boolean
  /** Aborts everything: running runs are stopped (leaving nothing), queued work never starts. */
  readonly signal?: AbortSignal
  /** ms for the whole group, counted from its creation; past it, as `signal`, with a `TimeoutError`. */
  readonly timeout?: number
}

/**
 * Work started when its turn comes; `signal` aborts when the group does, so pass it on.
 *
 * ```ts
 * const page: Work<string> = async (signal) => (await fetch(url, { signal })).text()
 * const html = await c.start(page)              // capped like a Cr, aborted with the group
 * ```
 */
export type Work<T> = (signal: AbortSignal) => PromiseLike<T>

const OPTION_NAMES: ReadonlySet<string> = new Set(['limit', 'failFast', 'signal', 'timeout'])
/** setTimeout fires at once beyond this. */
const MAX_TIMEOUT = 2 ** 31 - 1

/**
 * A cap on parallel work. A `Cr` counts as running from its start until its run has ended and
 * everything it created is removed.
 *
 * ```ts
 * await Concurrent.run({ limit: 5 }, async (c) => { for (const u of urls) c.start(scan(u)) })
 * await using c = new Concurrent({ limit: 5, failFast: true })   // disposal waits, like wait()
 * c.start((signal) => fetch(url, { signal }))                     // any async work, capped alike
 * ```
 */
export class Concurrent implements AsyncDisposable {
  private readonly limiter: LimitFunction
  private readonly controller = new AbortController()
  private readonly pending = new Set<Promise<unknown>>()
  private readonly failures: unknown[] = []
  private readonly failFast: boolean
  private counts = { done: 0, running: 0, queued: 0, failed: 0, total: 0 }
  private status: GroupLog | undefined
  private timer: NodeJS.Timeout | undefined
  private closed = false
  private readonly release: () => void

  /** @throws OptionsError when an option is malformed. */
  constructor(options: ConcurrentOptions = {}) {
    checkOptions(options)
    const { limit = Number.POSITIVE_INFINITY, failFast = false, signal, timeout } = options
    // rejectOnClear: queued work must settle (with our AbortedError) when the group aborts.
    this.limiter = pLimit({ concurrency: limit, rejectOnClear: true })
    this.failFast = failFast
    // Each running run listens on the group's signal and lets go when it ends: many, not a leak.
    setMaxListeners(0, this.controller.signal)
    if (timeout !== undefined) {
      this.timer = setTimeout(() => this.abort(new TimeoutError('timeout', timeout)), timeout)
      // The work keeps the process alive while there is any; an idle group must not.
      this.timer.unref()
    }
    const onAbort = () => this.abort(signal!.reason)
    if (signal?.aborted) onAbort()
    else signal?.addEventListener('abort', onAbort, { once: true })
    this.release = () => {
      clearTimeout(this.timer)
      signal?.removeEventListener('abort', onAbort)
    }
  }

  /**
   * A group for `body`: resolves with what `body` returns once all the work it started has
   * settled. If `body` throws, the work still settles first, then `run` rejects with that error.
   * @throws AggregateError of every failure, as `wait()`.
   */
  static async run<T>(options: ConcurrentOptions, body: (c: Concurrent) => T | PromiseLike<T>): Promise<T> {
    const c = new Concurrent(options)
    let result: T
    try {
      result = await body(c)
    } catch (err) {
      await c.close().catch(() => undefined)
      throw err
    }
    await c.close()
    return result
  }

  /**
   * Starts `work` when a slot is free and resolves with its result (a Cr's `Document`). Each
   * failure rejects this promise and is also in `wait()`'s AggregateError; nothing is reported
   * as unhandled if you ignore this promise.
   * @throws OptionsError (at once) for a Cr already started, or a promise: running work cannot be capped.
   */
  start(cr: Cr): Promise<Document>
  start<T>(work: Work<T>): Promise<T>
  start(work: Cr | Work<unknown>): Promise<unknown> {
    if (this.closed)
      throw new OptionsError('start', 'this Concurrent group has been disposed; make a new one')
    const job = jobOf(work)
    this.counts.total++
    if (this.controller.signal.aborted) {
      // Aborted groups take no new work; it fails like queued work did.
      return this.settle(Promise.reject(this.abortError()), () => undefined)
    }
    this.counts.queued++
    let running = false
    const result = this.limiter(() => {
      if (this.controller.signal.aborted) throw this.abortError()
      running = true
      this.counts.queued--
      this.counts.running++
      this.report()
      return job(this.controller.signal)
    })
    return this.settle(
      result,
      () => {
        if (running) this.counts.running--
        else this.counts.queued--
      },
      () => running,
    )
  }

  /**
   * Settles when all work started (including work started meanwhile) has settled.
   * @throws AggregateError of every failure of the group so far, in the order they happened.
   */
  async wait(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled(this.pending)
    if (this.failures.length > 0) {
      throw new AggregateError(
        this.failures,
        `${this.failures.length} of ${this.counts.total} tasks of the Concurrent group failed`,
      )
    }
  }

  /** `await using c = new Concurrent(...)`: waits like `wait()`, then the group takes no more work. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  private async close(): Promise<void> {
    try {
      await this.wait()
    } finally {
      // Only now: work that is running may start more work in the group.
      this.closed = true
      this.release()
    }
  }

  /** Counts and reports how `result` ends; the returned promise is the caller's, already handled. */
  private settle<T>(result: Promise<T>, leave: () => void, started: () => boolean = () => false): Promise<T> {
    this.report()
    const settled = result.then(
      (value) => {
        leave()
        this.counts.done++
        return value
      },
      (err: unknown) => {
        leave()
        this.counts.failed++
        const failure = started()
          ? this.asGroupError(err)
          : this.controller.signal.aborted
            ? this.abortError()
            : err
        this.failures.push(failure)
        if (this.failFast)
          this.abort(
            new Error(`failFast: other work of the group failed (${describe(failure)})`, { cause: failure }),
          )
        throw failure
      },
    )
    const tracked = settled.finally(() => {
      this.pending.delete(tracked)
      this.report()
      if (this.pending.size === 0) {
        this.status?.end({ ...this.counts })
        this.status = undefined
      }
    })
    tracked.catch(() => undefined)
    this.pending.add(tracked)
    settled.catch(() => undefined)
    return settled
  }

  private abort(reason: unknown): void {
    if (this.controller.signal.aborted) return
    this.controller.abort(reason)
    clearTimeout(this.timer)
    // Queued work rejects now (mapped to abortError() in settle), without waiting for a slot.
    this.limiter.clearQueue()
  }

  /** Why work that never started failed: the group's timeout, or its abort. */
  private abortError(): Error {
    const reason: unknown = this.controller.signal.reason
    return reason instanceof TimeoutError ? reason : new AbortedError(reason)
  }

  /** A run stopped by the group's timeout fails with the TimeoutError, keeping its results so far. */
  private asGroupError(err: unknown): unknown {
    const reason: unknown = this.controller.signal.reason
    if (reason instanceof TimeoutError && err instanceof AbortedError && err.cause === reason) {
      return err.document ? reason.withDocument(err.document) : reason
    }
    return err
  }

  private report(): void {
    if (this.counts.total === 0) return
    this.status ??= currentContext().log().group()
    this.status.update({ ...this.counts } satisfies GroupCounts)
  }
}

function checkOptions(options: ConcurrentOptions): void {
  if (typeof options !== 'object' || options === null) throw new OptionsError('options', 'must be an object')
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key))
      throw new OptionsError(key, `unknown option (known: ${[...OPTION_NAMES].join(', ')})`)
  }
  const { limit, failFast, signal, timeout } = options
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit > 0)) {
    throw new OptionsError('limit', `must be a positive integer, got ${String(limit)}`)
  }
  if (failFast !== undefined && typeof failFast !== 'boolean')
    throw new OptionsError('failFast', 'must be a boolean')
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw new OptionsError('signal', 'must be an AbortSignal')
  if (timeout !== undefined && !(typeof timeout === 'number' && timeout > 0 && timeout <= MAX_TIMEOUT)) {
    throw new OptionsError(
      'timeout',
      `must be a number of ms from 1 to ${MAX_TIMEOUT}, got ${String(timeout)}`,
    )
  }
}

/** What the limiter runs for `work`, once its turn comes. */
function jobOf(work: unknown): (signal: AbortSignal) => Promise<unknown> {
  // By the hook rather than instanceof: a second copy of levrt in node_modules has another Cr class.
  if (isCr(work)) {
    if (!work[CLAIM]()) {
      throw new OptionsError(
        'start',
        'this Cr has already been started (or given to a group): a running run cannot be capped; give start() a new Cr',
      )
    }
    return async (signal) => {
      // `await` gives the Task itself (it hides its `then` once), then the run's whole life.
      const task = await work[START_WITH](signal)
      return task.done()
    }
  }
  if (typeof work === 'function') return async (signal) => (work as Work<unknown>)(signal)
  if (typeof (work as PromiseLike<unknown> | undefined)?.then === 'function') {
    throw new OptionsError(
      'start',
      'a promise is already running and cannot be capped: pass a function that starts the work, e.g. c.start((signal) => fetch(url, { signal }))',
    )
  }
  throw new OptionsError(
    'start',
    `expected a Cr or a function returning a promise, got ${work === null ? 'null' : typeof work}`,
  )
}

function isCr(work: unknown): work is Cr {
  return typeof work === 'object' && work !== null && typeof (work as Partial<Cr>)[START_WITH] === 'function'
}
