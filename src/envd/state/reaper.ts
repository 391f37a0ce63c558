import type { Logger } from '../log'

/**
 * Calls `reap` every `everyMs` (the seed reclaims every 30 s), never two at once: a slow reap
 * (an engine under load) delays the next one instead of piling up. The first runs at `start()`,
 * so what expired while the service was down goes at once.
 */
export class Reaper {
  private timer: NodeJS.Timeout | undefined
  private current: Promise<void> | undefined
  private stopped = false

  constructor(
    private readonly reap: () => Promise<unknown>,
    private readonly everyMs: number,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.tick()
  }

  /** Stops the timer and waits for a reap in progress. */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.current
  }

  private tick(): Promise<void> {
    this.current = this.reap()
      .then(
        () => undefined,
        (err: unknown) => this.log.error({ err }, 'reap failed; trying again next period'),
      )
      .finally(() => {
        this.current = undefined
        if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.everyMs)
      })
    return this.current
  }
}
