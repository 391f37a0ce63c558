import { TimeoutError } from './errors'
import { durationFromEnv } from '../limits'
import type { RunSpec } from '../run-spec'

export interface WatchdogOptions {
  /** Ms until the run must have ended. */
  readonly timeoutMs?: number
  /** Ms the run may go without activity. */
  readonly idleTimeoutMs?: number
  /**
   * Called when the idle timer runs out: a token that changes whenever the tool writes a new
   * record (the records file's size and mtime). A changed token counts as activity: records are
   * not output, and reading them costs the engine a mount, so they are looked at only then.
   */
  readonly recordsToken: () => Promise<string>
  /** The run went past a limit; called at most once. */
  readonly expire: (err: TimeoutError) => void
}

/** The timers behind `timeout` and `idleTimeout`. */
export class Watchdog {
  private total: NodeJS.Timeout | undefined
  private idle: NodeJS.Timeout | undefined
  private lastActive = Date.now()
  // '' is "no records file": what every run starts with.
  private token = ''
  private done = false

  constructor(private readonly options: WatchdogOptions) {
    const { timeoutMs } = options
    if (timeoutMs !== undefined)
      this.total = setTimeout(() => this.fire(new TimeoutError('timeout', timeoutMs)), timeoutMs)
  }

  /**
   * The main container has started: only now can the tool be idle (a slow bring-up, pulls or
   * services on a loaded engine, is no silence of the tool's). `timeout` counts from the start.
   */
  started(): void {
    const { idleTimeoutMs } = this.options
    if (idleTimeoutMs === undefined || this.done || this.idle) return
    this.lastActive = Date.now()
    this.armIdle(idleTimeoutMs)
  }

  /** Whether output counts as activity (an idle limit): then the run must read its output. */
  get watchesOutput(): boolean {
    return this.options.idleTimeoutMs !== undefined
  }

  /** The tool printed something. Cheap: only a timestamp; the idle timer checks it when it fires. */
  activity(): void {
    this.lastActive = Date.now()
  }

  /** The run ended: no timer fires any more. */
  stop(): void {
    this.done = true
    clearTimeout(this.total)
    clearTimeout(this.idle)
  }

  private armIdle(delayMs: number): void {
    this.idle = setTimeout(() => void this.checkIdle(), delayMs)
  }

  private async checkIdle(): Promise<void> {
    const limit = this.options.idleTimeoutMs!
    if (this.done) return
    const quiet = Date.now() - this.lastActive
    if (quiet < limit) return this.armIdle(limit - quiet)
    const token = await this.options.recordsToken().catch(() => this.token)
    if (this.done) return
    if (token !== this.token) {
      this.token = token
      this.lastActive = Date.now()
      return this.armIdle(limit)
    }
    this.fire(new TimeoutError('idle', limit))
  }

  private fire(err: TimeoutError): void {
    if (this.done) return
    this.stop()
    this.options.expire(err)
  }
}

/** The run's watchdog, with `LEVRT_TIMEOUT` / `LEVRT_IDLE_TIMEOUT` as defaults; none without limits. */
export function watchdogFor(
  spec: RunSpec,
  hooks: Pick<WatchdogOptions, 'recordsToken' | 'expire'>,
): Watchdog | undefined {
  const timeoutMs = spec.timeoutMs ?? durationFromEnv('LEVRT_TIMEOUT')
  const idleTimeoutMs = spec.idleTimeoutMs ?? durationFromEnv('LEVRT_IDLE_TIMEOUT')
  if (timeoutMs === undefined && idleTimeoutMs === undefined) return undefined
  return new Watchdog({ timeoutMs, idleTimeoutMs, ...hooks })
}
