import { describe, EngineUnavailableError } from '../errors'
import type { Engine } from './engine'

/** How often a removal the engine refuses once it is back is tried (a restarted engine refuses some at first). */
const REFUSALS = 5

/** Delays between pings while the engine is away: quick at first (a restart takes seconds), then every 2 s. */
const PING_DELAYS_MS = [250, 500, 1000, 2000]

/** A removal the engine could not do while it was away. */
export type Removal = () => Promise<void>

/** One health per engine per context (in its memo): made on first need. */
export type EngineHealths = WeakMap<Engine, EngineHealth>

/** Whether an error, or one of its causes, says the engine does not answer. */
export function engineAway(err: unknown): EngineUnavailableError | undefined {
  for (let e = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++)
    if (e instanceof EngineUnavailableError) return e
  return undefined
}

/**
 * What a context knows of an engine's availability. While it answers, this costs nothing (no
 * call is added to a run). Once a call found it unreachable, it pings the engine until it
 * answers again; runs not yet started wait for that (`ready`) instead of failing at once, and
 * the removals that failed meanwhile (`owe`) are done before they go on, in this process.
 */
export class EngineHealth {
  private away: { cause: unknown; back: Promise<void>; resolve: () => void } | undefined
  /** Each removal owed, with how often the engine refused it since its return. */
  private readonly owed = new Map<Removal, number>()
  private pinging = false
  private pings = 0

  constructor(
    private readonly engine: Engine,
    /** Called each time the engine answers again after being away (e.g. to start a new reaper). */
    private readonly onBack: () => void = () => undefined,
  ) {}

  /** Whether the engine is known to be away. */
  get isAway(): boolean {
    return this.away !== undefined
  }

  /** How many removals wait for the engine's return. */
  get owing(): number {
    return this.owed.size
  }

  /** A call found the engine unreachable: ping it until it answers again. */
  markAway(cause: unknown): void {
    if (!this.away) {
      let resolve: () => void = () => undefined
      const back = new Promise<void>((r) => (resolve = r))
      this.away = { cause, back, resolve }
      this.pings = 0
    }
    this.schedule()
  }

  /** Retries `removal` as soon as the engine answers again (and until it succeeds or fails otherwise). */
  owe(removal: Removal, cause: unknown): void {
    this.owed.set(removal, 0)
    this.markAway(cause)
  }

  /**
   * Retries a removal the engine refused for another reason than being away (a network with
   * endpoints still attached while the engine shuts down): like an owed one, a few times.
   */
  retryRemoval(removal: Removal): void {
    this.owed.set(removal, 1)
    this.schedule()
  }

  /**
   * Resolves at once unless the engine is known to be away; then when it answers again and what
   * was owed to it is removed. Rejects with EngineUnavailableError at `deadline` (epoch ms), or
   * with the signal's reason when it aborts.
   */
  async ready(deadline: number, signal?: AbortSignal): Promise<void> {
    const away = this.away
    if (!away) return
    let timer: NodeJS.Timeout | undefined
    let onAbort: () => void = () => undefined
    const expired = new Promise<never>((_, reject) => {
      const fail = () =>
        reject(new EngineUnavailableError(this.engine.address, this.away?.cause ?? away.cause))
      timer = setTimeout(fail, Math.max(0, deadline - Date.now()))
      onAbort = () => reject(signal?.reason ?? new Error('aborted'))
      if (signal?.aborted) onAbort()
      else signal?.addEventListener('abort', onAbort, { once: true })
    })
    try {
      await Promise.race([away.back, expired])
    } finally {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
  }

  private schedule(): void {
    if (this.pinging) return
    this.pinging = true
    const delay = PING_DELAYS_MS[Math.min(this.pings++, PING_DELAYS_MS.length - 1)]
    // Unref'd: owed removals never keep a finished workflow alive (the reaper or `levrt gc`
    // takes over); a waiting run holds the process with its own deadline timer.
    setTimeout(() => void this.ping(), delay).unref()
  }

  private async ping(): Promise<void> {
    try {
      await this.engine.ping?.()
    } catch (err) {
      return this.retry(err)
    }
    const failed = await this.settle()
    if (failed !== undefined) return this.retry(failed)
    this.pinging = false
    const away = this.away
    this.away = undefined
    if (away) {
      away.resolve()
      this.onBack()
    }
    if (this.owed.size) this.schedule()
  }

  private retry(cause: unknown): void {
    if (this.away) this.away.cause = cause
    this.pinging = false
    this.schedule()
  }

  /** Does what was owed; returns the unavailability that stopped it, if the engine went again. */
  private async settle(): Promise<unknown> {
    const removals = [...this.owed]
    this.owed.clear()
    const results = await Promise.allSettled(removals.map(([removal]) => removal()))
    let away: unknown
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') return
      const [removal, refused] = removals[i]
      if (engineAway(result.reason)) {
        away = result.reason
        this.owed.set(removal, refused)
      } else if (refused + 1 < REFUSALS) {
        // e.g. `failed to update store for object type *libnetwork.network` just after a restart.
        this.owed.set(removal, refused + 1)
      } else {
        process.emitWarning(
          `levrt: could not remove a run's leftover once the engine was back (\`npx levrt gc\` will): ${describe(result.reason)}`,
        )
      }
    })
    return away
  }
}

/** The context's health of `engine`. */
export function healthOf(healths: EngineHealths, engine: Engine, onBack?: () => void): EngineHealth {
  let health = healths.get(engine)
  if (!health) {
    health = new EngineHealth(engine, onBack)
    healths.set(engine, health)
  }
  return health
}
