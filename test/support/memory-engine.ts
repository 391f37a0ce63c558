import { PassThrough, type Readable } from 'node:stream'
import { pack } from 'tar-stream'
import type {
  Container,
  ContainerSpec,
  Engine,
  ImageInfo,
  LabelledObject,
  Network,
  NetworkOptions,
  Output,
} from '../../src/engine/engine'
import { NameTakenError } from '../../src/engine/engine'
import { ContainerStartError, EngineUnavailableError, ImageUnavailableError } from '../../src/errors'

/**
 * What a simulated container does once started. Everything is optional: by default it exits 0
 * at once, printing nothing and writing no record.
 */
export interface Behaviour {
  readonly exitCode?: number
  /** How long it runs before exiting by itself; Infinity: until signalled. */
  readonly runMs?: number
  readonly stdout?: string
  readonly stderr?: string
  /** The records file's content, as the tool would have appended it. */
  readonly records?: string
  /** Exits 137 with OOMKilled set, after `runMs`. */
  readonly oom?: boolean
  /** SIGTERM does nothing (only SIGKILL ends it). */
  readonly ignoreTerm?: boolean
  /** `start()` fails with this engine message. */
  readonly startFails?: string
  /** `create()` takes this long. */
  readonly createMs?: number
  /** Reading what the container wrote (`changes`) fails with this engine message. */
  readonly readFails?: string
  /** `changes` answers an empty list, as an engine in trouble did once (R1). */
  readonly noChanges?: boolean
  /** Removed from outside once its changes are read, before its folder is (R1's kills). */
  readonly removedAfterChanges?: boolean
}

/** Decides each container's behaviour from its spec (image, cmd, env, labels...). */
export type Script = (spec: ContainerSpec) => Behaviour

const SIGNALS: Readonly<Record<string, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }

/**
 * An Engine with no Docker behind it: containers are timers that print, write records and exit
 * as a script says; signals, stop grace periods, OOM kills, slow creates and failed starts are
 * simulated. Every call is recorded (`calls`), so tests can count what a run asks of an engine,
 * and `leftovers()` lists what was created and not removed.
 */
export class MemoryEngine implements Engine {
  readonly address = 'memory://test'
  readonly local = true
  readonly calls: string[] = []
  readonly containers = new Map<string, MemoryContainer>()
  readonly networks = new Map<string, MemoryNetwork>()
  readonly volumes = new Map<string, Record<string, string>>()
  private readonly images = new Map<string, ImageInfo>()
  /** The most containers running at one time (not counting never-started probes). */
  maxRunning = 0
  /** While true, every call fails as if the engine's socket were gone (a stopped dockerd). */
  away = false

  constructor(private readonly script: Script = () => ({})) {
    this.addImage('levrt/busybox')
  }

  addImage(ref: string, info: Partial<ImageInfo> = {}): void {
    this.images.set(ref, {
      id: `sha256:${ref
        .replace(/[^a-z0-9]/g, '')
        .padEnd(64, '0')
        .slice(0, 64)}`,
      user: '',
      env: [],
      ...info,
    })
  }

  get running(): number {
    return [...this.containers.values()].filter((c) => c.state === 'running').length
  }

  /** Every container and network created and not removed. */
  leftovers(): string[] {
    return [
      ...[...this.containers.values()].filter((c) => c.state !== 'removed').map((c) => `container ${c.name}`),
      ...[...this.networks.values()].filter((n) => !n.removed).map((n) => `network ${n.name}`),
    ]
  }

  /** @internal Records a call; fails it while the engine is away. */
  call(name: string): void {
    this.calls.push(name)
    if (this.away)
      throw new EngineUnavailableError(
        this.address,
        Object.assign(new Error('connect ENOENT'), { code: 'ENOENT' }),
      )
  }

  async ping(): Promise<void> {
    this.call('ping')
  }

  count(call: string): number {
    return this.calls.filter((c) => c === call).length
  }

  async create(spec: ContainerSpec): Promise<Container> {
    this.call('create')
    if (!this.images.has(spec.image)) throw new ImageUnavailableError(spec.image, new Error('no such image'))
    const behaviour = this.script(spec)
    if (behaviour.createMs) await new Promise((r) => setTimeout(r, behaviour.createMs))
    const taken = [...this.containers.values()].some((c) => c.name === spec.name && c.state !== 'removed')
    if (taken) throw new NameTakenError(spec.name)
    const container = new MemoryContainer(
      this,
      spec,
      behaviour,
      `c${this.containers.size + 1}`.padEnd(12, '0'),
    )
    this.containers.set(container.id, container)
    return container
  }

  async image(ref: string): Promise<ImageInfo> {
    this.call('image')
    const info = this.images.get(ref)
    if (!info) throw new ImageUnavailableError(ref, new Error('no such image'))
    return info
  }

  async containerAddress(container: string): Promise<string | undefined> {
    this.call('containerAddress')
    return [...this.containers.values()].find((c) => c.name === container || c.id === container)?.address
  }

  async createNetwork(
    name: string,
    labels: Readonly<Record<string, string>>,
    _options?: NetworkOptions,
  ): Promise<Network> {
    this.call('createNetwork')
    const network = new MemoryNetwork(this, name, labels)
    this.networks.set(name, network)
    return network
  }

  async list(labels: Readonly<Record<string, string>>): Promise<LabelledObject[]> {
    this.call('list')
    const matches = (own: Readonly<Record<string, string>>) =>
      Object.entries(labels).every(([k, v]) => (v ? own[k] === v : k in own))
    return [
      ...[...this.containers.values()]
        .filter((c) => c.state !== 'removed' && matches(c.spec.labels))
        .map((c) => ({ kind: 'container' as const, id: c.id, labels: c.spec.labels })),
      ...[...this.networks.values()]
        .filter((n) => !n.removed && matches(n.labels))
        .map((n) => ({ kind: 'network' as const, id: n.name, labels: n.labels })),
    ]
  }

  async removeObject(object: LabelledObject): Promise<void> {
    this.call('removeObject')
    if (object.kind === 'container')
      await [...this.containers.values()].find((c) => c.id === object.id || c.name === object.id)?.remove()
    else if (object.kind === 'network') await this.networks.get(object.id)?.remove()
    else this.volumes.delete(object.id)
  }

  async createVolume(name: string, labels: Readonly<Record<string, string>>): Promise<void> {
    this.call('createVolume')
    if (!this.volumes.has(name)) this.volumes.set(name, { ...labels })
  }

  async volumeLabels(name: string): Promise<Readonly<Record<string, string>> | undefined> {
    this.call('volumeLabels')
    return this.volumes.get(name)
  }

  /** @internal Keeps `maxRunning` up to date. */
  noteRunning(): void {
    this.maxRunning = Math.max(this.maxRunning, this.running)
  }
}

type State = 'created' | 'running' | 'exited' | 'removed'

export class MemoryContainer implements Container {
  state: State = 'created'
  oom = false
  readonly address: string
  private exitCode: number | undefined
  private readonly exited: Promise<number>
  private exit!: (code: number) => void
  private timer: NodeJS.Timeout | undefined
  private gone = false
  private readonly out = new PassThrough()
  private readonly err = new PassThrough()

  constructor(
    private readonly engine: MemoryEngine,
    readonly spec: ContainerSpec,
    private readonly behaviour: Behaviour,
    readonly id: string,
  ) {
    this.address = `10.99.0.${engine.containers.size + 2}`
    this.exited = new Promise((resolve) => (this.exit = resolve))
  }

  get name(): string {
    return this.spec.name
  }

  async put(tar: Readable): Promise<void> {
    this.engine.call('put')
    tar.resume()
    await new Promise((resolve, reject) => tar.once('end', resolve).once('error', reject))
  }

  async read(path: string): Promise<Readable | undefined> {
    this.engine.call('read')
    if (this.gone) return undefined // the engine's 404, as DockerContainer.read gives it
    if (!this.behaviour.records || !path.startsWith('/.levrt/out')) return undefined
    const tar = pack()
    tar.entry({ name: 'out/records.jsonl' }, this.behaviour.records)
    tar.finalize()
    return tar as unknown as Readable
  }

  async stat(path: string): Promise<{ size: number; mtime: string } | undefined> {
    this.engine.call('stat')
    if (path.endsWith('/node')) return undefined
    if (path.endsWith('records.jsonl') && this.behaviour.records && this.state !== 'created') {
      return { size: this.behaviour.records.length, mtime: '2026-01-01T00:00:00Z' }
    }
    return undefined
  }

  async changes(): Promise<string[]> {
    this.engine.call('changes')
    if (this.behaviour.readFails) throw new Error(this.behaviour.readFails)
    if (this.behaviour.noChanges) return []
    if (this.behaviour.removedAfterChanges) this.gone = true
    // As the engine answers: the results mount it made, and the records file if one was written.
    return this.behaviour.records
      ? ['/.levrt', '/.levrt/out', '/.levrt/out/.mnt', '/.levrt/out/records.jsonl']
      : ['/.levrt', '/.levrt/out', '/.levrt/out/.mnt']
  }

  async attach(): Promise<Output> {
    this.engine.call('attach')
    const ended = this.exited.then(() => {
      this.out.end()
      this.err.end()
    })
    return { stdout: this.out, stderr: this.err, ended }
  }

  async start(): Promise<void> {
    this.engine.call('start')
    const b = this.behaviour
    if (b.startFails) throw new ContainerStartError(this.spec.image, '', new Error(b.startFails))
    this.state = 'running'
    this.engine.noteRunning()
    if (b.stdout) this.out.write(b.stdout)
    if (b.stderr) this.err.write(b.stderr)
    const runMs = b.runMs ?? 0
    if (runMs !== Infinity) {
      this.timer = setTimeout(() => {
        this.oom = b.oom ?? false
        this.end(b.oom ? 137 : (b.exitCode ?? 0))
      }, runMs)
    }
  }

  wait(): Promise<number> {
    this.engine.call('wait')
    return this.exited
  }

  async stop(graceSeconds: number): Promise<void> {
    this.engine.call('stop')
    if (this.state !== 'running') return
    await this.signal('SIGTERM')
    if (this.state === 'running') {
      await new Promise((r) => setTimeout(r, graceSeconds * 1000))
      await this.signal('SIGKILL')
    }
  }

  async oomKilled(): Promise<boolean> {
    this.engine.call('oomKilled')
    return this.oom
  }

  async kill(signal: string): Promise<void> {
    this.engine.call('kill')
    await this.signal(signal)
  }

  async ip(): Promise<string | undefined> {
    return this.address
  }

  async tail(): Promise<string> {
    this.engine.call('tail')
    return `${this.behaviour.stdout ?? ''}${this.behaviour.stderr ?? ''}`.trimEnd()
  }

  async remove(): Promise<void> {
    this.engine.call('remove')
    if (this.state === 'running') this.end(137)
    this.state = 'removed'
  }

  private async signal(signal: string): Promise<void> {
    if (this.state !== 'running') return
    if (signal === 'SIGTERM' && this.behaviour.ignoreTerm) return
    this.end(128 + (SIGNALS[signal] ?? 15))
  }

  private end(code: number): void {
    if (this.exitCode !== undefined) return
    clearTimeout(this.timer)
    this.exitCode = code
    if (this.state === 'running') this.state = 'exited'
    this.exit(code)
  }
}

export class MemoryNetwork implements Network {
  removed = false
  readonly members = new Set<string>()

  constructor(
    private readonly engine: MemoryEngine,
    readonly name: string,
    readonly labels: Readonly<Record<string, string>>,
  ) {}

  async connect(container: string): Promise<void> {
    this.engine.call('connect')
    this.members.add(container)
  }

  async disconnect(container: string): Promise<void> {
    this.engine.call('disconnect')
    this.members.delete(container)
  }

  async remove(): Promise<void> {
    this.engine.call('removeNetwork')
    this.removed = true
  }
}
