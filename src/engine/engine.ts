import type { Readable } from 'node:stream'

/**
 * The engine layer's whole surface. It is kept this narrow on purpose: a swarm backend (see
 * ROADMAP) must be able to implement it, so nothing here assumes the engine shares our disk.
 */
export interface Engine {
  /** Creates (not starts) a container; pulls the image first if the engine lacks it. */
  create(spec: ContainerSpec): Promise<Container>
}

export interface ContainerSpec {
  readonly name: string
  readonly image: string
  /** Undefined: the image's CMD. */
  readonly cmd?: readonly string[]
  readonly env: readonly string[]
  readonly labels: Readonly<Record<string, string>>
  /** `host`: the host's network stack; `bridge`: the engine's default network. */
  readonly network: 'host' | 'bridge'
}

export interface Container {
  readonly id: string
  readonly name: string
  start(): Promise<void>
  /** Resolves with the exit code once the container has stopped. */
  wait(): Promise<number>
  /** Sends a signal; a container that is not running is not an error. */
  kill(signal: string): Promise<void>
  /**
   * Attaches to the container's stdout and stderr. Call it before `start()`: the streams carry
   * everything from the first byte, live, and end once the container has stopped.
   */
  attach(): Promise<Output>
  /** The last `lines` lines of output, stdout and stderr interleaved. */
  tail(lines: number): Promise<string>
  /** Removes the container (stopping it first if needed); an already removed one is fine. */
  remove(): Promise<void>
}

export interface Output {
  readonly stdout: Readable
  readonly stderr: Readable
  /** Settles when the engine has sent everything (both streams ended). */
  readonly ended: Promise<void>
}
