import type { Readable } from 'node:stream'
import type { ResourceLimits } from '../limits'
import type { NetworkOptions } from '../docker/network-create'

/**
 * The engine layer's whole surface. It is kept this narrow on purpose: a swarm backend (see
 * ROADMAP) must be able to implement it, so nothing here assumes the engine shares our disk:
 * files go in and results come out as tar streams through the engine's API.
 */
export interface Engine {
  /** Where the engine is, for messages; `local` when its containers' addresses are reachable from here. */
  readonly address: string
  readonly local: boolean
  /** Creates (not starts) a container; pulls the image first if the engine lacks it. */
  create(spec: ContainerSpec): Promise<Container>
  /** The image's id and the user its containers run as; pulls the image first if the engine lacks it. */
  image(ref: string): Promise<ImageInfo>
  /** A running container's address on its first network (by name or id); undefined if none. */
  containerAddress(container: string): Promise<string | undefined>
  /**
   * Creates a user network: containers on it reach each other by name and alias. With a pool,
   * its subnet is a free one of the pool's (not one of the engine's few default pools).
   */
  createNetwork(
    name: string,
    labels: Readonly<Record<string, string>>,
    options?: NetworkOptions,
  ): Promise<Network>
  /** The containers, networks and volumes carrying all of `labels`. */
  list(labels: Readonly<Record<string, string>>): Promise<LabelledObject[]>
  /** Removes one of `list()`'s objects (a container by force); one already gone is fine. */
  removeObject(object: LabelledObject): Promise<void>
  /** Creates a named volume with `labels`; one of that name already there is kept as it is. */
  createVolume(name: string, labels: Readonly<Record<string, string>>): Promise<void>
  /** A volume's labels, or undefined if there is no volume of that name. */
  volumeLabels(name: string): Promise<Readonly<Record<string, string>> | undefined>
  /**
   * Creates and starts a container tied to this process (the session reaper): it runs as root,
   * its stdin is this process's connection to the engine, which the engine ends when that
   * connection goes (the process exited or died), and the engine removes it once it exits. Never
   * pulls. Resolves with its id once it runs. Optional: an engine that cannot hold a connection
   * open (the in-memory one of the unit tests) has no reaper.
   */
  holdSession?(spec: ContainerSpec): Promise<string>
  /**
   * Resolves if the engine answers; an unreachable one rejects with EngineUnavailableError.
   * Only called once a call found it away (see engine/health): a healthy run never pings.
   */
  ping?(): Promise<void>
}

export interface ImageInfo {
  /** `sha256:...`: changes whenever the image is rebuilt. */
  readonly id: string
  /** '' for the default (root). */
  readonly user: string
  /** The image's environment (`PATH=...` and others), as its containers start with it. */
  readonly env?: readonly string[]
  /** CPU architecture as the engine names it (`amd64`, `arm64`, ...), if it says. */
  readonly arch?: string
}

export type { NetworkOptions } from '../docker/network-create'

export interface LabelledObject {
  readonly kind: 'container' | 'network' | 'volume'
  readonly id: string
  readonly labels: Readonly<Record<string, string>>
}

export type NetworkChoice =
  | { readonly mode: 'host' }
  | { readonly mode: 'bridge' }
  /** No network at all (a container that only talks to the engine's socket). */
  | { readonly mode: 'none' }
  /** A user network, where this container is also reachable under `aliases`. */
  | { readonly mode: 'user'; readonly name: string; readonly aliases: readonly string[] }
  /** Another container's network stack (its ports are on this one's 127.0.0.1). */
  | { readonly mode: 'container'; readonly id: string }

export interface ContainerSpec {
  readonly name: string
  readonly image: string
  /** Replaces the image's ENTRYPOINT when given. */
  readonly entrypoint?: readonly string[]
  /** Undefined: the image's CMD. */
  readonly cmd?: readonly string[]
  readonly env: readonly string[]
  readonly labels: Readonly<Record<string, string>>
  readonly network: NetworkChoice
  /** `name:address` lines for /etc/hosts. */
  readonly extraHosts?: readonly string[]
  /** Paths where an empty tmpfs is mounted. */
  readonly tmpfs?: readonly string[]
  readonly limits?: ResourceLimits
  readonly mounts?: readonly Mount[]
}

/**
 * A volume (by name: works on any engine) or a bind mount of a path on the engine's own host
 * (only meaningful where the engine is local: see Engine.local).
 */
export type Mount =
  | { readonly kind: 'volume'; readonly name: string; readonly target: string; readonly readOnly: boolean }
  | { readonly kind: 'bind'; readonly source: string; readonly target: string; readonly readOnly: boolean }

/** `create` found the container name taken: another container holds it. */
export class NameTakenError extends Error {
  constructor(
    readonly containerName: string,
    options?: { cause?: unknown },
  ) {
    super(`container name ${containerName} is taken`, options)
    this.name = 'NameTakenError'
  }
}

export interface Container {
  readonly id: string
  readonly name: string
  /** Writes a tar stream into the container's filesystem at `/` (works before start). */
  put(tar: Readable): Promise<void>
  /** A tar stream of `path` (a file or folder), or undefined if there is no such path. */
  read(path: string): Promise<Readable | undefined>
  /** Size and modification time of a path in the container (a mount on the engine: use sparingly). */
  stat(path: string): Promise<{ readonly size: number; readonly mtime: string } | undefined>
  /** Paths added or changed in the container's filesystem since it was created (cheap: no mount). */
  changes(): Promise<string[]>
  /**
   * Attaches to the container's stdout and stderr. Call it before `start()`: the streams carry
   * everything from the first byte, live, and end once the container has stopped.
   */
  attach(): Promise<Output>
  start(): Promise<void>
  /** Resolves with the exit code once the container has stopped. */
  wait(): Promise<number>
  /**
   * Stops it as `docker stop` does: the image's stop signal (SIGTERM by default), then SIGKILL
   * after `graceSeconds`. Resolves once it has stopped; one not running is not an error.
   */
  stop(graceSeconds: number): Promise<void>
  /** After it stopped: whether the kernel killed it for memory. */
  oomKilled(): Promise<boolean>
  /** Sends a signal; a container that is not running is not an error. */
  kill(signal: string): Promise<void>
  /** The container's address on its network (undefined on the host network). */
  ip(): Promise<string | undefined>
  /** The last `lines` lines of output, stdout and stderr interleaved. */
  tail(lines: number): Promise<string>
  /** Removes the container (stopping it first if needed); an already removed one is fine. */
  remove(): Promise<void>
}

export interface Network {
  readonly name: string
  /** Connects an existing container (by name or id) under `aliases`. */
  connect(container: string, aliases: readonly string[]): Promise<void>
  /** Disconnects it; one already gone is fine. */
  disconnect(container: string): Promise<void>
  /** Removes the network; one already gone is fine. */
  remove(): Promise<void>
}

export interface Output {
  readonly stdout: Readable
  readonly stderr: Readable
  /** Settles when the engine has sent everything (both streams ended). */
  readonly ended: Promise<void>
}
