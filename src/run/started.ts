import { Readable } from 'node:stream'
import type { Context } from '../context'
import type { Document } from '../document'
import type { RunInfo, RunOutcome } from '../log'
import type { TaskSource } from '../task'
import { collect } from './collect'
import type { Launched } from './launch'
import type { Prepared } from './prepare'
import type { StopRequest } from './stop'

/** How long a timed-out container has between SIGTERM and SIGKILL. */
export const STOP_GRACE_SECONDS = 5

/** What a started run hands back to its owner when it ends. */
export interface StartedHooks {
  /** Removes what the run created; safe to call more than once. */
  readonly teardown: () => Promise<void>
  /** Stops the time limits' timers: the container has stopped. */
  readonly quiet: () => void
  /** Removes the process hooks (signals, the user's AbortSignal): once the results are stored. */
  readonly release: () => void
  readonly ended: (outcome: RunOutcome) => void
}

/**
 * A run whose main container is running: what a Task shows. `done()` waits for the container
 * to stop, stores its results and removes everything the run created, once.
 */
export class StartedRun implements TaskSource {
  private result: Promise<Document> | undefined

  constructor(
    private readonly ctx: Context,
    readonly info: RunInfo,
    private readonly prepared: Prepared,
    readonly main: Launched,
    private readonly startedAt: Date,
    private readonly stop: StopRequest,
    private readonly hooks: StartedHooks,
  ) {}

  get containerId(): string {
    return this.main.container.id
  }

  get host(): string {
    return this.main.container.name
  }

  /** Empty for an awaited run that nothing attached to (see Run's `taskOutput`). */
  get stdout(): Readable {
    return this.main.output?.stdout ?? Readable.from([])
  }

  get stderr(): Readable {
    return this.main.output?.stderr ?? Readable.from([])
  }

  kill(signal: string): Promise<void> {
    return this.main.container.kill(signal)
  }

  /** Past a time limit: stopped as `docker stop` does (TERM, a grace period, KILL). */
  async expire(): Promise<void> {
    await this.main.container.stop(STOP_GRACE_SECONDS).catch(() => undefined)
  }

  done(): Promise<Document> {
    this.result ??= this.collect().then(
      (doc) => {
        this.hooks.ended({ exitCode: doc.run.exitCode, oomKilled: doc.run.oomKilled })
        return doc
      },
      (err: unknown) => {
        this.hooks.ended({ error: err })
        throw err
      },
    )
    return this.result
  }

  private async collect(): Promise<Document> {
    const { hooks } = this
    try {
      let exitCode: number
      try {
        exitCode = await this.main.exited
      } catch (err) {
        hooks.quiet()
        await hooks.teardown()
        throw err
      }
      hooks.quiet()
      const { id } = this.info
      const { prepared, main, startedAt } = this
      return await collect(
        this.ctx,
        { id, prepared, main, exitCode, startedAt, endedAt: new Date(), stopped: this.stop.cause },
        hooks.teardown,
      )
    } finally {
      // After the save: a signal meanwhile waits for the result to be stored.
      hooks.release()
    }
  }
}
