import Dockerode from 'dockerode'
import { PassThrough, Readable } from 'node:stream'
import { ContainerCreateError, ContainerStartError, EngineLostError, EngineUnavailableError } from '../errors'
import { docker as sharedDocker, engineAddress } from './connection'
import { NameTakenError, type Container, type ContainerSpec, type Engine, type ImageInfo, type LabelledObject, type Mount, type Network, type NetworkChoice, type NetworkOptions, type Output } from './engine'
import { createPooledNetwork } from './network-create'
import { pull } from './pull'
import { statusOf } from './status'

/** The engine layer on a Docker engine, through dockerode. */
export class DockerEngine implements Engine {
  readonly address: string
  readonly local: boolean

  constructor(private readonly docker: Dockerode = sharedDocker()) {
    this.address = engineAddress()
    // A unix socket means this machine's engine, whose bridge addresses we can reach.
    this.local = this.address.startsWith('unix://') || this.address.startsWith('npipe://')
  }

  async create(spec: ContainerSpec): Promise<Container> {
    const options: Dockerode.ContainerCreateOptions = {
      name: spec.name,
      Image: spec.image,
      Entrypoint: spec.entrypoint ? [...spec.entrypoint] : undefined,
      Cmd: spec.cmd ? [...spec.cmd] : undefined,
      Env: [...spec.env],
      Labels: { ...spec.labels },
      HostConfig: {
        NetworkMode: networkMode(spec.network),
        ExtraHosts: spec.extraHosts ? [...spec.extraHosts] : undefined,
        Tmpfs: spec.tmpfs ? Object.fromEntries(spec.tmpfs.map((path) => [path, 'size=64k'])) : undefined,
        // Swap as large as memory: the limit is the limit, as with `docker run --memory` on a host without swap accounting.
        Memory: spec.limits?.memoryBytes,
        MemorySwap: spec.limits?.memoryBytes,
        NanoCpus: spec.limits?.nanoCpus,
        PidsLimit: spec.limits?.pids,
        Mounts: spec.mounts?.map(mountOf),
      },
      NetworkingConfig:
        spec.network.mode === 'user'
          ? { EndpointsConfig: { [spec.network.name]: { Aliases: [...spec.network.aliases] } } }
          : undefined,
    }
    const create = async () => this.docker.createContainer(options)
    let container: Dockerode.Container
    try {
      container = await create()
    } catch (err) {
      if (statusOf(err) === 409) throw new NameTakenError(spec.name, { cause: err })
      if (!isNoSuchImage(err)) throw unreachable(err) ?? new ContainerCreateError(spec.image, err)
      await pull(this.docker, spec.image)
      try {
        container = await create()
      } catch (again) {
        throw unreachable(again) ?? new ContainerCreateError(spec.image, again)
      }
    }
    return new DockerContainer(this.docker, container, spec)
  }

  async image(ref: string): Promise<ImageInfo> {
    // Not cached: a tool image rebuilt while the process runs is a new image (and a new run key).
    const inspect = () => this.docker.getImage(ref).inspect()
    let info: Dockerode.ImageInspectInfo
    try {
      info = await inspect()
    } catch (err) {
      if (statusOf(err) !== 404) throw unreachable(err) ?? err
      await pull(this.docker, ref)
      info = await inspect()
    }
    return { id: info.Id, user: info.Config?.User ?? '', env: info.Config?.Env ?? [], arch: info.Architecture }
  }

  async createVolume(name: string, labels: Readonly<Record<string, string>>): Promise<void> {
    // The engine returns the existing volume when the name is taken: creating is idempotent.
    await this.docker.createVolume({ Name: name, Labels: { ...labels } }).catch((err: unknown) => {
      throw unreachable(err) ?? err
    })
  }

  async volumeLabels(name: string): Promise<Readonly<Record<string, string>> | undefined> {
    try {
      const info = (await this.docker.getVolume(name).inspect()) as { Labels?: Record<string, string> | null }
      return info.Labels ?? {}
    } catch (err) {
      if (statusOf(err) === 404) return undefined
      throw unreachable(err) ?? err
    }
  }

  async containerAddress(container: string): Promise<string | undefined> {
    const info = await this.docker
      .getContainer(container)
      .inspect()
      .catch((err: unknown) => {
        throw unreachable(err) ?? err
      })
    return firstAddress(info)
  }

  async createNetwork(name: string, labels: Readonly<Record<string, string>>, options: NetworkOptions = {}): Promise<Network> {
    const network = await createPooledNetwork(this.docker, name, labels, options).catch((err: unknown) => {
      throw unreachable(err) ?? err
    })
    return new DockerNetwork(network, name)
  }

  async list(labels: Readonly<Record<string, string>>): Promise<LabelledObject[]> {
    const filters = JSON.stringify({ label: Object.entries(labels).map(([k, v]) => (v ? `${k}=${v}` : k)) })
    const [containers, networks, volumes] = await Promise.all([
      this.docker.listContainers({ all: true, filters }),
      this.docker.listNetworks({ filters }),
      this.docker.listVolumes({ filters }),
    ]).catch((err: unknown) => {
      throw unreachable(err) ?? err
    })
    return [
      ...containers.map((c) => ({ kind: 'container' as const, id: c.Id, labels: c.Labels ?? {} })),
      ...networks.map((n) => ({ kind: 'network' as const, id: n.Id, labels: n.Labels ?? {} })),
      ...(volumes.Volumes ?? []).map((v) => ({ kind: 'volume' as const, id: v.Name, labels: v.Labels ?? {} })),
    ]
  }

  async removeObject(object: LabelledObject): Promise<void> {
    if (object.kind === 'container') {
      // 409: the engine is already removing it.
      await this.docker.getContainer(object.id).remove({ force: true, v: true }).catch((err: unknown) => {
        if (statusOf(err) !== 409) ignoreGone(err)
      })
    } else if (object.kind === 'network') {
      await this.removeNetwork(object.id).catch(ignoreGone)
    } else {
      await this.docker.getVolume(object.id).remove().catch(ignoreGone)
    }
  }

  /**
   * A dead run's network can still hold containers that are not its own: those it linked in
   * (`links`), which belong to other, possibly live, runs. Disconnect them first, as the run's
   * own teardown would have; the engine refuses to remove a network with endpoints.
   */
  private async removeNetwork(id: string): Promise<void> {
    const network = this.docker.getNetwork(id)
    const info = (await network.inspect()) as { Containers?: Record<string, unknown> }
    await Promise.all(
      Object.keys(info.Containers ?? {}).map((container) => network.disconnect({ Container: container, Force: true }).catch(ignoreGone)),
    )
    await network.remove()
  }
}

function firstAddress(info: Dockerode.ContainerInspectInfo): string | undefined {
  return Object.values(info.NetworkSettings.Networks ?? {}).map((n) => n.IPAddress).find(Boolean) || undefined
}

function mountOf(mount: Mount): Dockerode.MountSettings {
  // NoCopy: an empty volume must stay empty, whatever the image has at the target.
  return mount.kind === 'volume'
    ? { Type: 'volume', Source: mount.name, Target: mount.target, ReadOnly: mount.readOnly, VolumeOptions: { NoCopy: true } as Dockerode.MountSettings['VolumeOptions'] }
    : { Type: 'bind', Source: mount.source, Target: mount.target, ReadOnly: mount.readOnly }
}

function networkMode(choice: NetworkChoice): string {
  if (choice.mode === 'user') return choice.name
  if (choice.mode === 'container') return `container:${choice.id}`
  return choice.mode
}

class DockerContainer implements Container {
  readonly id: string
  constructor(
    private readonly docker: Dockerode,
    private readonly container: Dockerode.Container,
    private readonly spec: ContainerSpec,
  ) {
    this.id = container.id
  }

  get name(): string {
    return this.spec.name
  }

  async put(tar: Readable): Promise<void> {
    // A broken source (say, a local file that vanished) must fail the call, not hang it.
    const failed = new Promise<never>((_, reject) => tar.once('error', reject))
    await Promise.race([this.container.putArchive(tar as unknown as NodeJS.ReadableStream, { path: '/' }), failed]).catch(
      (err: unknown) => {
        throw unreachable(err) ?? err
      },
    )
  }

  async read(path: string): Promise<Readable | undefined> {
    try {
      return (await this.container.getArchive({ path })) as unknown as Readable
    } catch (err) {
      if (statusOf(err) === 404) return undefined
      throw unreachable(err) ?? err
    }
  }

  async stat(path: string): Promise<{ size: number; mtime: string } | undefined> {
    try {
      const res = (await this.container.infoArchive({ path })) as unknown as Readable & { headers: Record<string, string | undefined> }
      res.resume()
      const header = res.headers['x-docker-container-path-stat']
      if (!header) return undefined
      const info = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as { size: number; mtime: string }
      return { size: info.size, mtime: info.mtime }
    } catch (err) {
      if (statusOf(err) === 404) return undefined
      throw unreachable(err) ?? err
    }
  }

  async changes(): Promise<string[]> {
    const changes = (await this.container.changes().catch((err: unknown) => {
      throw unreachable(err) ?? err
    })) as { Path: string }[] | null
    return (changes ?? []).map((c) => c.Path)
  }

  async attach(): Promise<Output> {
    // Attach, not `logs --follow`: the engine's follow stream can end before the log is drained
    // when a container exits quickly; attach reads the container's own pipes, as `docker run` does.
    const stream = (await this.container.attach({ stream: true, stdout: true, stderr: true }).catch((err: unknown) => {
      throw unreachable(err) ?? err
    })) as unknown as Readable
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    const ended = demux(this.docker, stream, stdout, stderr).finally(() => {
      stdout.end()
      stderr.end()
    })
    return { stdout, stderr, ended }
  }

  async start(): Promise<void> {
    try {
      await this.container.start()
    } catch (err) {
      throw unreachable(err) ?? new ContainerStartError(this.spec.image, await this.tail(20).catch(() => ''), err)
    }
  }

  async wait(): Promise<number> {
    try {
      const { StatusCode } = (await this.container.wait()) as { StatusCode: number }
      return StatusCode
    } catch (err) {
      throw new EngineLostError(this.spec.image, await this.tail(20).catch(() => ''), err)
    }
  }

  async stop(graceSeconds: number): Promise<void> {
    // 304: already stopped; 404: already removed.
    await this.container.stop({ t: graceSeconds }).catch((err: unknown) => {
      if (statusOf(err) !== 304) ignoreGone(err)
    })
  }

  async oomKilled(): Promise<boolean> {
    const info = await this.container.inspect().catch((err: unknown) => {
      throw unreachable(err) ?? err
    })
    return info.State?.OOMKilled === true
  }

  async kill(signal: string): Promise<void> {
    // 409: not running; 404: already removed. Either way there is nothing left to signal.
    await this.container.kill({ signal }).catch((err: unknown) => {
      if (statusOf(err) !== 409) ignoreGone(err)
    })
  }

  async ip(): Promise<string | undefined> {
    const info = await this.container.inspect().catch((err: unknown) => {
      throw unreachable(err) ?? err
    })
    return firstAddress(info)
  }

  async tail(lines: number): Promise<string> {
    const raw = (await this.container.logs({ stdout: true, stderr: true, tail: lines })) as unknown as Buffer
    const both = new PassThrough()
    const chunks: Buffer[] = []
    both.on('data', (c: Buffer) => chunks.push(c))
    await demux(this.docker, Readable.from([raw]), both, both)
    return Buffer.concat(chunks).toString('utf8').trimEnd()
  }

  async remove(): Promise<void> {
    // 409: the engine is already removing it.
    await this.container.remove({ force: true, v: true }).catch((err: unknown) => {
      if (statusOf(err) !== 409) ignoreGone(err)
    })
  }
}

class DockerNetwork implements Network {
  constructor(
    private readonly network: Dockerode.Network,
    readonly name: string,
  ) {}

  async connect(container: string, aliases: readonly string[]): Promise<void> {
    await this.network.connect({ Container: container, EndpointConfig: { Aliases: [...aliases] } }).catch((err: unknown) => {
      throw unreachable(err) ?? err
    })
  }

  async disconnect(container: string): Promise<void> {
    await this.network.disconnect({ Container: container, Force: true }).catch(ignoreGone)
  }

  async remove(): Promise<void> {
    await this.network.remove().catch(ignoreGone)
  }
}

/** Splits the engine's multiplexed log stream into stdout and stderr without ending them. */
function demux(docker: Dockerode, stream: Readable, stdout: PassThrough, stderr: PassThrough): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.demuxStream(stream, stdout, stderr)
    stream.once('end', resolve)
    stream.once('error', reject)
  })
}


/** 404 means the object is gone already: for removal, that is success. */
function ignoreGone(err: unknown): void {
  if (statusOf(err) === 404) return
  throw unreachable(err) ?? err
}

function isNoSuchImage(err: unknown): boolean {
  return statusOf(err) === 404 && /no such image/i.test(String((err as Error).message))
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND'])

/** Connection-level failures mean the engine is gone, whatever call hit them. */
function unreachable(err: unknown): EngineUnavailableError | undefined {
  const code = (err as { code?: unknown } | undefined)?.code
  return typeof code === 'string' && UNREACHABLE.has(code) ? new EngineUnavailableError(engineAddress(), err) : undefined
}
