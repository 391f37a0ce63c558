import { ObjectId } from 'bson'
import type { Readable } from 'node:stream'
import type { RootfsEntry } from '../archive/pack'
import { fileEntries, refuseRemoteBinds } from '../archive/files'
import type { Context } from '../context'
import { Document } from '../document'
import type { Engine, ImageInfo, NetworkChoice } from '../engine/engine'
import { ownerLabels } from '../engine/labels'
import { poolFromEnv } from '../engine/subnets'
import { AbortedError, ServiceError, type TimeoutError } from '../errors'
import type { LogSink, RunInfo, RunOutcome } from '../log'
import type { OutputHub } from '../output'
import { RECORDS_FILE, type Results } from '../results/records'
import { flushSpool } from '../results/spool'
import type { RunSpec } from '../spec'
import type { RunRecord, Store, StoredDoc } from '../store'
import { keyIndexOnce } from '../history/lookup'
import { identify, reusable } from './identity'
import { failureOf, succeeded, type Ending } from './outcome'
import { sweepOnce } from './gc'
import { launch, type Launched, type Role } from './launch'
import { register } from './live'
import { runName } from './names'
import { RunObjects } from './objects'
import { portFailure, PortWaitError, waitForPorts } from './ports'
import { readRunResults } from './read-results'
import { saveResult } from './save'
import { hostModeNames } from './host-mode'
import { watchdogFor, type Watchdog } from './watchdog'

/** How long a timed-out container has between SIGTERM and SIGKILL. */
export const STOP_GRACE_SECONDS = 5

/**
 * One run: everything it creates on the engine (network, services, main container, links) from
 * start to teardown, and the collection of its results. Whatever way a run ends, `teardown()`
 * removes what it created; `abort()` is how the host stops it early.
 */
export class Run {
  readonly id = new ObjectId().toHexString()
  private readonly objects = new RunObjects(this.id)
  private main: Launched | undefined
  private startedAt = new Date()
  private finished: Promise<Document> | undefined
  private starting: Promise<void> | undefined
  private started = false
  private abortReason: unknown
  /** Set when the run went past `timeout` or `idleTimeout`. */
  private timedOut: TimeoutError | undefined
  private watchdog: Watchdog | undefined
  private readonly info: RunInfo
  private readonly begun = Date.now()
  private key = ''
  private image: ImageInfo | undefined
  private reusedDoc: Document | undefined
  /** Fires when the run is aborted, to interrupt waits in progress. */
  private readonly stopper = new AbortController()
  /** Undoes the run's hooks into the process (signal handling, the user's AbortSignal). */
  private release: () => void = () => undefined

  private readonly engine: Engine
  private readonly store: Store
  private readonly home: string
  private readonly log: LogSink

  constructor(
    readonly spec: RunSpec,
    ctx: Context,
    readonly collection: string,
  ) {
    this.engine = ctx.engine
    this.store = ctx.store()
    this.home = ctx.home()
    this.log = ctx.log()
    this.info = { id: this.id, name: runName(spec.image), image: spec.image, collection }
  }

  get containerId(): string {
    return this.launched.container.id
  }

  get host(): string {
    return this.launched.container.name
  }

  get stdout(): Readable {
    return this.launched.output!.stdout
  }

  get stderr(): Readable {
    return this.launched.output!.stderr
  }

  kill(signal: string): Promise<void> {
    return this.launched.container.kill(signal)
  }

  /** With `reuse`: the earlier run that stands in for this one; then nothing was started. */
  get reused(): Document | undefined {
    return this.reusedDoc
  }

  /** Starts services, links and the main container, and waits for ports. On failure, removes it all. */
  start(): Promise<void> {
    this.starting ??= this.bringUp().catch((err: unknown) => {
      this.ended({ error: err })
      throw err
    })
    return this.starting
  }

  private async bringUp(): Promise<void> {
    const { spec } = this
    // Everything that can fail on bad input fails here, before anything is created.
    const mainFiles = await fileEntries(spec.files)
    const serviceFiles = await Promise.all(spec.services.map(([, s]) => fileEntries(s.files)))
    for (const entries of [mainFiles, ...serviceFiles]) refuseRemoteBinds(this.engine.local, this.engine.address, entries)
    if (spec.signal?.aborted) throw new AbortedError(spec.signal.reason)
    ;({ key: this.key, image: this.image } = await identify(this.engine, spec, this.collection, mainFiles))
    this.reusedDoc = await reusable(this.store, this.collection, spec, this.key)
    if (this.reusedDoc) {
      const { exitCode, oomKilled } = this.reusedDoc.run
      this.log.runStarted(this.info)
      return this.ended({ exitCode, oomKilled, reused: true })
    }
    await sweepOnce(this.engine)
    void flushSpool(this.home, this.store).catch(() => undefined)
    this.log.runStarted(this.info)
    this.startWatchdog()
    const unregister = register(this)
    const onAbort = () => void this.abort(spec.signal?.reason)
    spec.signal?.addEventListener('abort', onAbort, { once: true })
    this.release = () => {
      unregister()
      spec.signal?.removeEventListener('abort', onAbort)
    }
    try {
      if (!spec.host && (spec.services.length > 0 || spec.links.length > 0)) {
        this.objects.network = await this.engine.createNetwork(`levrt-${this.id}`, ownerLabels(this.id, 'network'), { pool: poolFromEnv() })
      }
      await Promise.all(spec.services.map(([name, s], i) => this.startService(name, s, serviceFiles[i])))
      this.throwIfAborted()
      const extraHosts = spec.host ? await hostModeNames(this.engine, this.spec) : undefined
      if (this.objects.network) for (const [alias, host] of spec.links) await this.objects.link(host, alias)
      this.main = await this.launch(spec, `levrt-${this.id}`, { kind: 'main' }, mainFiles, this.networkFor([]), extraHosts)
      this.startedAt = new Date()
      await this.waitPorts(this.main, spec).catch(async (err: unknown) => {
        throw err instanceof PortWaitError ? await portFailure(this.main!.container, spec.image, spec.portTimeoutMs, err, this.abortReason) : err
      })
      this.throwIfAborted()
      this.started = true
    } catch (err) {
      this.watchdog?.stop()
      await this.objects.teardown()
      this.release()
      if (this.timedOut) throw this.timedOut
      throw this.abortReason !== undefined && !(err instanceof AbortedError) ? new AbortedError(this.abortReason) : err
    }
  }

  /** Waits for the main container, stores its results, removes everything. Runs once. */
  finish(): Promise<Document> {
    this.finished ??= this.collect().then(
      (doc) => {
        this.ended({ exitCode: doc.run.exitCode, oomKilled: doc.run.oomKilled })
        return doc
      },
      (err: unknown) => {
        this.ended({ error: err })
        throw err
      },
    )
    return this.finished
  }

  private ended(outcome: RunOutcome): void {
    this.log.runEnded(this.info, outcome, Date.now() - this.begun)
  }

  /** Timers for `timeout` (from start()) and `idleTimeout`; the environment gives defaults. */
  private startWatchdog(): void {
    this.watchdog = watchdogFor(this.spec, {
      recordsToken: async () => {
        const info = this.main ? await this.main.container.stat(RECORDS_FILE) : undefined
        return info ? `${info.size} ${info.mtime}` : ''
      },
      expire: (err) => void this.expire(err),
    })
  }

  /** Past a time limit: a run still starting is aborted; a started one stopped (TERM, grace, KILL). */
  private async expire(err: TimeoutError): Promise<void> {
    this.timedOut = err
    if (!this.started) return void this.abort(err)
    await this.main!.container.stop(STOP_GRACE_SECONDS).catch(() => undefined)
  }

  /**
   * Stops the run now. A run still starting stops at its next step (waits in progress are
   * interrupted) and removes what it made; a started one is killed and its results so far are
   * collected and stored. Resolves once everything the run created is gone.
   */
  async abort(reason: unknown): Promise<void> {
    this.abortReason ??= reason ?? new Error('aborted')
    this.stopper.abort(this.abortReason)
    await this.starting?.catch(() => undefined)
    if (!this.started) return
    await this.main!.container.kill('SIGKILL').catch(() => undefined)
    await this.finish().catch(() => undefined)
  }

  private get launched(): Launched {
    if (!this.main) throw new Error('the run has not started')
    return this.main
  }

  private throwIfAborted(): void {
    if (this.abortReason !== undefined) throw new AbortedError(this.abortReason)
  }

  private networkFor(aliases: readonly string[]): NetworkChoice {
    if (this.spec.host) return { mode: 'host' }
    const network = this.objects.network
    return network ? { mode: 'user', name: network.name, aliases } : { mode: 'bridge' }
  }

  private async startService(name: string, spec: RunSpec, files: RootfsEntry[]): Promise<void> {
    let launched: Launched | undefined
    try {
      launched = await this.launch(spec, `levrt-${this.id}-${name}`, { kind: 'service', name }, files, this.networkFor([name]))
      await this.waitPorts(launched, spec)
    } catch (err) {
      if (this.abortReason !== undefined) throw new AbortedError(this.abortReason)
      const logs = launched ? await launched.container.tail(20).catch(() => '') : ''
      const cause = err instanceof PortWaitError ? await portFailure(launched!.container, spec.image, spec.portTimeoutMs, err, this.abortReason) : err
      throw new ServiceError(name, spec.image, logs, cause)
    }
  }

  private waitPorts(launched: Launched, spec: RunSpec): Promise<void> {
    const target = { container: launched.container, host: spec.host, exited: launched.exited }
    return waitForPorts(this.engine, this.id, target, spec.ports, spec.portTimeoutMs, this.stopper.signal)
  }

  private launch(
    spec: RunSpec,
    name: string,
    role: Role,
    files: RootfsEntry[],
    network: NetworkChoice,
    extraHosts?: string[],
  ): Promise<Launched> {
    return launch(this.engine, {
      runId: this.id,
      spec,
      runSpec: this.spec,
      name,
      role,
      files,
      network,
      extraHosts,
      image: this.image,
      created: (container) => this.objects.addContainer(container),
      checkAborted: () => this.throwIfAborted(),
      watch: (hub) => this.watch(hub),
    })
  }

  /** Output goes to the log and counts as activity for `idleTimeout`. */
  private watch(hub: OutputHub): OutputHub {
    hub.tap((stream, chunk) => {
      this.watchdog?.activity()
      this.log.output(this.info, stream, chunk)
    })
    return hub
  }

  private async collect(): Promise<Document> {
    const main = this.launched
    let exitCode: number
    try {
      exitCode = await main.exited
    } catch (err) {
      this.watchdog?.stop()
      await this.objects.teardown()
      this.release()
      throw err
    }
    this.watchdog?.stop()
    const endedAt = new Date()
    // 137 is SIGKILL: only then can it have been the OOM killer (an inspect costs a round trip).
    const oomKilled = exitCode === 137 ? await main.container.oomKilled().catch(() => false) : false
    let results: Results | undefined
    let failed: unknown
    try {
      results = await readRunResults(main)
    } catch (err) {
      failed = err
    }
    const ending: Ending = { exitCode, oomKilled, results, timedOut: this.timedOut, abortReason: this.abortReason }
    const run: RunRecord = {
      image: this.spec.image,
      containerId: main.container.id,
      exitCode,
      startedAt: this.startedAt,
      endedAt,
      oomKilled,
      key: this.key,
      ok: succeeded(ending),
    }
    const [, saved] = await Promise.allSettled([
      this.objects.teardown(),
      failed === undefined ? this.save(results!.fields, run) : Promise.reject(failed),
    ])
    this.release()
    if (saved.status === 'rejected') throw saved.reason
    const doc = new Document(this.store.collection(this.collection), this.id, run)
    const failure = failureOf(ending, doc, this.id)
    if (failure) throw failure
    return doc
  }

  private async save(fields: StoredDoc, run: RunRecord): Promise<void> {
    await saveResult(this.store, this.home, this.collection, this.id, fields, run)
    // After the save: an index cannot be made on a collection the store cannot reach.
    await keyIndexOnce(this.store.key, this.store.collection(this.collection))
  }
}
