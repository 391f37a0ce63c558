import { ObjectId } from 'bson'
import type { Context } from '../context'
import { sweepOnce } from '../engine/gc'
import type { RunInfo, RunOutcome } from '../log'
import type { OutputHub } from '../output'
import { reaperOnce } from '../reaper'
import { RECORDS_FILE } from '../results/records'
import { flushSpool } from '../results/spool'
import { bringUp } from './bring-up'
import type { TimeoutError } from './errors'
import type { Launched } from './launch'
import { RunObjects } from './objects'
import type { Prepared } from './prepare'
import { StartedRun } from './started'
import { StopRequest } from './stop'
import { watchdogFor, type Watchdog } from './watchdog'

/** Where a run is: bringing its containers up, running (it has its main container), or failed to start. */
type Phase =
  | { readonly kind: 'starting'; readonly up: Promise<StartedRun> }
  | { readonly kind: 'started'; readonly run: StartedRun }
  | { readonly kind: 'failed' }

/**
 * One run from its start to its teardown: everything it creates on the engine (network,
 * services, main container, links). Whatever way it ends, what it created is removed; `abort()`
 * is how the host stops it early (the user's AbortSignal, a group, a process signal).
 */
export class Run {
  readonly id = new ObjectId().toHexString()
  readonly info: RunInfo
  private readonly objects: RunObjects
  private readonly stop = new StopRequest()
  private phase: Phase | undefined
  private readonly begun = Date.now()
  private readonly watchdog: Watchdog | undefined
  /** Undoes the run's hooks into the process (signal handling, the user's AbortSignal). */
  private release: () => void = () => undefined

  /**
   * `taskOutput`: whether the caller may read the output through the Task (a started run). An
   * awaited run's output is read only by the live log and the idle timer.
   */
  constructor(
    private readonly ctx: Context,
    private readonly prepared: Prepared,
    private readonly taskOutput = true,
  ) {
    const { spec, collection } = prepared
    const health = ctx.memo.health(ctx.engine)
    this.objects = new RunObjects(this.id, ctx.engine, (removal, cause) =>
      cause === undefined ? health.retryRemoval(removal) : health.owe(removal, cause),
    )
    const name = spec.name ?? ctx.memo.names.next(spec.image)
    this.info = { id: this.id, name, image: spec.image, collection }
    this.watchdog = watchdogFor(spec, {
      recordsToken: async () => {
        const info =
          this.phase?.kind === 'started' ? await this.phase.run.main.container.stat(RECORDS_FILE) : undefined
        return info ? `${info.size} ${info.mtime}` : ''
      },
      expire: (error) => void this.expire(error),
    })
  }

  /** Brings the run up and resolves with it started; on failure, removes what it made and rejects. */
  start(): Promise<StartedRun> {
    if (!this.phase) {
      const up = this.bringUp()
      this.phase = { kind: 'starting', up }
    }
    if (this.phase.kind === 'starting') return this.phase.up
    if (this.phase.kind === 'started') return Promise.resolve(this.phase.run)
    return Promise.reject(new Error('the run failed to start'))
  }

  private async bringUp(): Promise<StartedRun> {
    const { ctx, prepared } = this
    const { spec, store, home } = prepared
    await sweepOnce(ctx.engine, ctx.memo.sweeps)
    // Beside the bring-up, not before it; awaited before start() resolves, so a process killed
    // once its run is up always has a reaper. It never rejects.
    const reaper = reaperOnce(ctx.engine, prepared.image, ctx.memo.runtime, ctx.memo.reapers)
    flushSpool(home, store).catch((err: unknown) =>
      process.emitWarning(`levrt: could not write spooled results to ${store.location} yet: ${String(err)}`),
    )
    ctx.log().runStarted(this.info)
    const unregister = ctx.memo.live.register(this)
    const onAbort = () => void this.abort(spec.signal?.reason)
    spec.signal?.addEventListener('abort', onAbort, { once: true })
    this.release = () => {
      unregister()
      spec.signal?.removeEventListener('abort', onAbort)
    }
    let main: Launched
    try {
      const scope = {
        id: this.id,
        engine: ctx.engine,
        runtime: ctx.memo.runtime,
        prepared,
        objects: this.objects,
      }
      // Attaching costs the engine a stream per run: only when something reads the output.
      const read = this.taskOutput || ctx.log().mode !== 'quiet' || this.watchdog?.watchesOutput
      const watch = read ? (hub: OutputHub) => this.watch(hub) : undefined
      main = await bringUp({ ...scope, stop: this.stop, watch })
      this.watchdog?.started()
      await reaper
    } catch (err) {
      this.watchdog?.stop()
      await this.objects.teardown()
      this.release()
      this.phase = { kind: 'failed' }
      const error = this.stop.error() ?? err
      this.ended({ error })
      throw error
    }
    const run = new StartedRun(ctx, this.info, prepared, main, new Date(), this.stop, {
      teardown: () => this.objects.teardown(),
      quiet: () => this.watchdog?.stop(),
      release: () => this.release(),
      ended: (outcome) => this.ended(outcome),
    })
    this.phase = { kind: 'started', run }
    return run
  }

  /**
   * Stops the run now. A run still starting stops at its next step (waits in progress are
   * interrupted) and removes what it made; a started one is killed and its results so far are
   * collected and stored. Resolves once everything the run created is gone.
   */
  async abort(reason: unknown): Promise<void> {
    this.stop.request({ kind: 'abort', reason: reason ?? new Error('aborted') })
    if (this.phase?.kind === 'starting') await this.phase.up.catch(() => undefined)
    if (this.phase?.kind !== 'started') return
    await this.phase.run.kill('SIGKILL').catch(() => undefined)
    await this.phase.run.done().catch(() => undefined)
  }

  /** Past a time limit: a run still starting is aborted; a started one stopped (TERM, grace, KILL). */
  private async expire(error: TimeoutError): Promise<void> {
    this.stop.request({ kind: 'timeout', error })
    if (this.phase?.kind === 'started') await this.phase.run.expire()
  }

  private ended(outcome: RunOutcome): void {
    this.ctx.log().runEnded(this.info, outcome, Date.now() - this.begun)
  }

  /** Output goes to the log and counts as activity for `idleTimeout`. */
  private watch(hub: OutputHub): OutputHub {
    const log = this.ctx.log()
    hub.tap((stream, chunk) => {
      this.watchdog?.activity()
      log.output(this.info, stream, chunk)
    })
    return hub
  }
}
