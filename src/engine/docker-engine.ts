import type Dockerode from 'dockerode'
import { connectDocker, engineAddress, isLocalAddress } from '../docker/connection'
import { EngineGuard } from '../docker/guard'
import { createPooledNetwork } from '../docker/network-create'
import { isGone, statusOf } from '../docker/status'
import { ContainerCreateError, describe, EngineUnavailableError, NetworkError } from '../errors'
import { DockerContainer } from './docker-container'
import { createOptions, firstAddress } from './docker-create-options'
import { DockerNetwork } from './docker-network'
import { holdSession } from './docker-session'
import {
  NameTakenError,
  type Container,
  type ContainerSpec,
  type Engine,
  type ImageInfo,
  type LabelledObject,
  type Network,
  type NetworkOptions,
} from './engine'
import { pull } from './pull'

/** The engine layer on a Docker engine, through dockerode. */
export class DockerEngine implements Engine {
  readonly address: string
  readonly local: boolean
  private readonly guard: EngineGuard

  /** `options`: dockerode's (socketPath, host, port, ...); by default the docker CLI's rules. */
  constructor(
    private readonly docker: Dockerode = connectDocker(),
    options?: Dockerode.DockerOptions,
  ) {
    this.address = engineAddress(options)
    this.local = isLocalAddress(this.address)
    this.guard = new EngineGuard(this.address)
  }

  static connect(options?: Dockerode.DockerOptions): DockerEngine {
    return new DockerEngine(connectDocker(options), options)
  }

  async create(spec: ContainerSpec): Promise<Container> {
    const options = createOptions(spec)
    const create = () => this.guard.call(() => this.docker.createContainer(options))
    let container: Dockerode.Container
    try {
      container = await create()
    } catch (err) {
      if (statusOf(err) === 409) throw new NameTakenError(spec.name, { cause: err })
      if (!isNoSuchImage(err)) throw createError(spec.image, err)
      await pull(this.docker, spec.image)
      try {
        container = await create()
      } catch (again) {
        throw createError(spec.image, again)
      }
    }
    return new DockerContainer(container, spec, this.guard)
  }

  holdSession(spec: ContainerSpec): Promise<string> {
    return holdSession(this.docker, this.guard, spec)
  }

  async ping(): Promise<void> {
    await this.guard.call(() => this.docker.ping())
  }

  async image(ref: string): Promise<ImageInfo> {
    // Not cached: a tool image rebuilt while the process runs is a new image (and a new run key).
    const inspect = () => this.guard.call(() => this.docker.getImage(ref).inspect())
    let info: Dockerode.ImageInspectInfo
    try {
      info = await inspect()
    } catch (err) {
      if (!isGone(err)) throw err
      await pull(this.docker, ref)
      info = await inspect()
    }
    return {
      id: info.Id,
      user: info.Config?.User ?? '',
      env: info.Config?.Env ?? [],
      arch: info.Architecture,
    }
  }

  async createVolume(name: string, labels: Readonly<Record<string, string>>): Promise<void> {
    // The engine returns the existing volume when the name is taken: creating is idempotent.
    await this.guard.call(() => this.docker.createVolume({ Name: name, Labels: { ...labels } }))
  }

  async volumeLabels(name: string): Promise<Readonly<Record<string, string>> | undefined> {
    return this.guard.call(async () => {
      try {
        const info = (await this.docker.getVolume(name).inspect()) as {
          Labels?: Record<string, string> | null
        }
        return info.Labels ?? {}
      } catch (err) {
        if (isGone(err)) return undefined
        throw err
      }
    })
  }

  async containerAddress(container: string): Promise<string | undefined> {
    return firstAddress(await this.guard.call(() => this.docker.getContainer(container).inspect()))
  }

  async createNetwork(
    name: string,
    labels: Readonly<Record<string, string>>,
    options: NetworkOptions = {},
  ): Promise<Network> {
    const network = await this.guard
      .call(() => createPooledNetwork(this.docker, name, labels, options))
      .catch((err: unknown) => {
        // The engine gone stays EngineUnavailableError; a refusal (a 500 while it shuts down) is typed.
        if (err instanceof EngineUnavailableError || err instanceof NetworkError) throw err
        throw new NetworkError(name, `could not create it: ${describe(err)}`, err)
      })
    return new DockerNetwork(network, name, this.guard)
  }

  async list(labels: Readonly<Record<string, string>>): Promise<LabelledObject[]> {
    const filters = JSON.stringify({ label: Object.entries(labels).map(([k, v]) => (v ? `${k}=${v}` : k)) })
    const [containers, networks, volumes] = await this.guard.call(() =>
      Promise.all([
        this.docker.listContainers({ all: true, filters }),
        this.docker.listNetworks({ filters }),
        this.docker.listVolumes({ filters }),
      ]),
    )
    return [
      ...containers.map((c) => ({ kind: 'container' as const, id: c.Id, labels: c.Labels ?? {} })),
      ...networks.map((n) => ({ kind: 'network' as const, id: n.Id, labels: n.Labels ?? {} })),
      ...(volumes.Volumes ?? []).map((v) => ({
        kind: 'volume' as const,
        id: v.Name,
        labels: v.Labels ?? {},
      })),
    ]
  }

  async removeObject(object: LabelledObject): Promise<void> {
    if (object.kind === 'container') {
      // 409: the engine is already removing it.
      await this.guard.remove(() => this.docker.getContainer(object.id).remove({ force: true, v: true }), 409)
    } else if (object.kind === 'network') {
      await this.guard.remove(() => this.removeNetwork(object.id))
    } else {
      await this.guard.remove(() => this.docker.getVolume(object.id).remove())
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
      Object.keys(info.Containers ?? {}).map((container) =>
        this.guard.remove(() => network.disconnect({ Container: container, Force: true })),
      ),
    )
    await network.remove()
  }
}

function isNoSuchImage(err: unknown): boolean {
  return statusOf(err) === 404 && /no such image/i.test(String((err as Error).message))
}

/** A create that failed: the engine gone stays EngineUnavailableError, anything else is the create's fault. */
function createError(image: string, err: unknown): unknown {
  return err instanceof EngineUnavailableError ? err : new ContainerCreateError(image, err)
}
