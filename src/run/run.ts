import { BSON, EJSON, ObjectId } from 'bson'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { packEntries, type RootfsEntry } from '../archive/pack'
import { fileEntries } from '../archive/files'
import type { Context } from '../context'
import { Document } from '../document'
import type { Container, Engine, Network, NetworkChoice } from '../engine/engine'
import { ownerLabels } from '../engine/labels'
import {
  AbortedError,
  ContainerStartError,
  describe,
  EntryError,
  NoNodeError,
  OptionsError,
  PortTimeoutError,
  RecordError,
  ResultTooLargeError,
  ServiceError,
  StoreError,
  StoreUnavailableError,
} from '../errors'
import type { LogSink } from '../log'
import { OutputHub } from '../output'
import { OUT_DIR, readResults, type Results } from '../results/records'
import { flushSpool, spool } from '../results/spool'
import { RESULTS_MOUNT, ship } from '../runtime/ship'
import type { RunSpec } from '../spec'
import { MAX_DOCUMENT_BYTES, RUN_FIELD, type RunRecord, type Store, type StoredDoc } from '../store'
import { sweepOnce } from './gc'
import { register } from './live'
import { PortWaitError, waitForPorts } from './ports'

/** Whether a container user (`name`, `uid`, `uid:gid`, or '' for the default) is root. */
function isRoot(user: string): boolean {
  const name = user.split(':')[0]
  return name === '' || name === 'root' || name === '0'
}


interface Launched {
  readonly container: Container
  /** The container's output (the main container's only: sidecars are read through `tail`). */
  readonly output: OutputHub | undefined
  /** The exit code, once the container stops. */
  readonly exited: Promise<number>
}

/** The main container keeps results and output; a sidecar needs neither. */
type Role = { readonly kind: 'main' } | { readonly kind: 'service'; readonly name: string }

/**
 * One run: everything it creates on the engine (network, services, main container, links) from
 * start to teardown, and the collection of its results. Whatever way a run ends, `teardown()`
 * removes what it created; `abort()` is how the host stops it early.
 */
export class Run {
  readonly id = new ObjectId().toHexString()
  private readonly containers: Container[] = []
  private network: Network | undefined
  private readonly linked: string[] = []
  private main: Launched | undefined
  private startedAt = new Date()
  private finished: Promise<Document> | undefined
  private starting: Promise<void> | undefined
  private started = false
  private abortReason: unknown
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
  }

  get container(): Container {
    return this.launched.container
  }

  get output(): OutputHub {
    return this.launched.output!
  }

  /** Starts services, links and the main container, and waits for ports. On failure, removes it all. */
  start(): Promise<void> {
    this.starting ??= this.bringUp()
    return this.starting
  }

  private async bringUp(): Promise<void> {
    const { spec } = this
    // Everything that can fail on bad input fails here, before anything is created.
    const mainFiles = await fileEntries(spec.files)
    const serviceFiles = await Promise.all(spec.services.map(([, s]) => fileEntries(s.files)))
    if (spec.signal?.aborted) throw new AbortedError(spec.signal.reason)
    await sweepOnce(this.engine)
    void flushSpool(this.home, this.store).catch(() => undefined)
    const unregister = register(this)
    const onAbort = () => void this.abort(spec.signal?.reason)
    spec.signal?.addEventListener('abort', onAbort, { once: true })
    this.release = () => {
      unregister()
      spec.signal?.removeEventListener('abort', onAbort)
    }
    try {
      if (!spec.host && (spec.services.length > 0 || spec.links.length > 0)) {
        this.network = await this.engine.createNetwork(`levrt-${this.id}`, ownerLabels(this.id, 'network'))
      }
      await Promise.all(spec.services.map(([name, s], i) => this.startService(name, s, serviceFiles[i])))
      this.throwIfAborted()
      const extraHosts = spec.host ? await this.hostModeNames() : undefined
      for (const [alias, host] of spec.links) {
        if (!this.network) break
        await this.network.connect(host, [alias])
        this.linked.push(host)
      }
      this.main = await this.launch(spec, `levrt-${this.id}`, { kind: 'main' }, mainFiles, this.networkFor([]), extraHosts)
      this.startedAt = new Date()
      await this.waitPorts(this.main, spec).catch(async (err: unknown) => {
        throw err instanceof PortWaitError ? await this.portError(this.main!, spec.image, spec.portTimeoutMs, err) : err
      })
      this.throwIfAborted()
      this.started = true
    } catch (err) {
      await this.teardown()
      this.release()
      throw this.abortReason !== undefined && !(err instanceof AbortedError) ? new AbortedError(this.abortReason) : err
    }
  }

  /** Waits for the main container, stores its results, removes everything. Runs once. */
  finish(): Promise<Document> {
    this.finished ??= this.collect()
    return this.finished
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
    return this.network ? { mode: 'user', name: this.network.name, aliases } : { mode: 'bridge' }
  }

  /** On the host network there is no DNS of ours: services are on 127.0.0.1, links at their address. */
  private async hostModeNames(): Promise<string[]> {
    const names = this.spec.services.map(([name]) => `${name}:127.0.0.1`)
    for (const [alias, host] of this.spec.links) {
      const ip = await this.engine.containerAddress(host)
      if (!ip) throw new OptionsError(`links.${alias}`, `${host} has no address to reach from the host network (is it running?)`)
      names.push(`${alias}:${ip}`)
    }
    return names
  }

  private async startService(name: string, spec: RunSpec, files: RootfsEntry[]): Promise<void> {
    let launched: Launched | undefined
    try {
      launched = await this.launch(spec, `levrt-${this.id}-${name}`, { kind: 'service', name }, files, this.networkFor([name]))
      await this.waitPorts(launched, spec)
    } catch (err) {
      if (this.abortReason !== undefined) throw new AbortedError(this.abortReason)
      const logs = launched ? await launched.container.tail(20).catch(() => '') : ''
      const cause = err instanceof PortWaitError ? await this.portError(launched!, spec.image, spec.portTimeoutMs, err) : err
      throw new ServiceError(name, spec.image, logs, cause)
    }
  }

  private waitPorts(launched: Launched, spec: RunSpec): Promise<void> {
    const target = { container: launched.container, host: spec.host, exited: launched.exited }
    return waitForPorts(this.engine, this.id, target, spec.ports, spec.portTimeoutMs, this.stopper.signal)
  }

  private async portError(launched: Launched, image: string, timeoutMs: number, err: PortWaitError): Promise<Error> {
    if (err.reason === 'aborted') return new AbortedError(this.abortReason)
    const logs = await launched.container.tail(20).catch(() => '')
    return err.reason === 'timeout' ? new PortTimeoutError(image, err.port, timeoutMs, logs) : new ContainerStartError(image, logs, err)
  }

  private async launch(
    spec: RunSpec,
    name: string,
    role: Role,
    files: RootfsEntry[],
    network: NetworkChoice,
    extraHosts?: string[],
  ): Promise<Launched> {
    const main = role.kind === 'main'
    // Only the main container keeps results: a sidecar's records folder would go unread.
    const nonRoot = main && !isRoot(await this.engine.imageUser(spec.image).catch(() => ''))
    const shipment = ship(this.id, spec.entry, nonRoot)
    const container = await this.engine.create({
      name,
      image: spec.image,
      entrypoint: shipment.entrypoint,
      cmd: spec.entry ? (spec.cmd ?? []) : spec.cmd,
      env: [...shipment.env, ...spec.env],
      labels: ownerLabels(this.id, main ? 'main' : `service:${role.name}`),
      network,
      extraHosts,
      tmpfs: main ? [RESULTS_MOUNT] : undefined,
    })
    this.containers.push(container)
    this.throwIfAborted()
    const upload = [...shipment.files, ...files]
    // Each upload costs the engine a filesystem mount: skipped when there is nothing to put.
    const [, output] = await Promise.all([
      upload.length ? container.put(packEntries(upload, { addParents: false })) : undefined,
      main ? container.attach().then((o) => new OutputHub(o)) : undefined,
    ])
    this.throwIfAborted()
    try {
      await container.start()
    } catch (err) {
      if (spec.entry && err instanceof ContainerStartError && /executable file not found|no such file or directory/i.test(describe(err.cause))) {
        throw new NoNodeError(spec.image, err.logs, err.cause)
      }
      throw err
    }
    const exited = container.wait()
    exited.catch(() => undefined) // awaited by finish(); a lost engine must not crash the process meanwhile
    return { container, output, exited }
  }

  private async collect(): Promise<Document> {
    const main = this.launched
    let exitCode: number
    try {
      exitCode = await main.exited
    } catch (err) {
      await this.teardown()
      this.release()
      throw err
    }
    const endedAt = new Date()
    let results: Results | undefined
    let failed: unknown
    try {
      // Reading the results folder costs a mount on the engine: only when something was written.
      const [, changed] = await Promise.all([main.output?.ended.catch(() => undefined), main.container.changes()])
      const wrote = changed.some((path) => path.startsWith(`${OUT_DIR}/`) && path !== RESULTS_MOUNT)
      results = await readResults(wrote ? await main.container.read(OUT_DIR) : undefined)
    } catch (err) {
      failed = err
    }
    const run: RunRecord = { image: this.spec.image, containerId: main.container.id, exitCode, startedAt: this.startedAt, endedAt }
    const [, saved] = await Promise.allSettled([
      this.teardown(),
      failed === undefined ? this.save(results!.fields, run) : Promise.reject(failed),
    ])
    this.release()
    if (saved.status === 'rejected') throw saved.reason
    const doc = new Document(this.store.collection(this.collection), this.id, run)
    if (results!.cutLine) process.emitWarning(`levrt: the last record of run ${this.id} was cut off (no newline) and not stored`)
    const problem = results!.problems[0]
    if (problem) throw new RecordError(problem.line, problem.reason, doc)
    if (results!.failure) throw new EntryError(results!.failure, doc)
    if (this.abortReason !== undefined) throw new AbortedError(this.abortReason, doc)
    return doc
  }

  private async save(fields: StoredDoc, run: RunRecord): Promise<void> {
    try {
      await this.store.save(this.collection, this.id, fields, run)
    } catch (err) {
      if (err instanceof StoreError && err.unreachable) {
        const path = await spool(this.home, this.store, this.collection, this.id, fields, run)
        throw new StoreUnavailableError(this.store.location, path, err)
      }
      // Sized only when a write fails (sizing 8 MB costs tens of ms): a store refuses a
      // document over the limit, but in its own words, or the driver's.
      const bytes = BSON.calculateObjectSize({ _id: this.id, ...fields, [RUN_FIELD]: run })
      if (bytes <= MAX_DOCUMENT_BYTES) throw err
      const dir = join(this.home, 'oversize')
      const path = join(dir, `${this.id}.json`)
      await mkdir(dir, { recursive: true })
      await writeFile(path, EJSON.stringify({ collection: this.collection, _id: this.id, fields, run }, { relaxed: true }))
      throw new ResultTooLargeError(bytes, MAX_DOCUMENT_BYTES, path)
    }
  }

  /** Removes what the run created, containers first; safe to call more than once. */
  private async teardown(): Promise<void> {
    const containers = this.containers.splice(0)
    const results = await Promise.allSettled(containers.map((c) => c.remove()))
    const network = this.network
    this.network = undefined
    if (network) {
      results.push(...(await Promise.allSettled(this.linked.splice(0).map((host) => network.disconnect(host)))))
      results.push(...(await Promise.allSettled([network.remove()])))
    }
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failures.length) {
      process.emitWarning(`levrt: run ${this.id} could not remove everything it created (\`npx levrt gc\` will): ${describe(failures[0].reason)}`)
    }
  }
}
