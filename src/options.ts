import type { Cr } from './cr'
import type { Entry } from './entry'
import type { MemorySize } from './limits'

export type { MemorySize } from './limits'

/** `<namespace>/<name>@<major>.<minor>`, e.g. `talentsec/nmap@1.0`. */
export type Schema = `${string}/${string}@${number}.${number}`

/** An absolute path inside the container. */
export type ContainerPath = `/${string}`

/** A file's content, or a local file or directory (streamed, never read whole into memory). */
export type FileSource = Buffer | Uint8Array | string | { readonly path: string }

/** `['PATH=/bin', 'DB_URI=...']` or `{ PATH: '/bin' }`. */
export type EnvOption = readonly `${string}=${string}`[] | Readonly<Record<string, string>>

export interface CrOptions {
  /** Where the run's document goes: `<namespace>/<name>@<major>.<minor>`. */
  readonly schema?: Schema
  /** Host network mode. Default false. */
  readonly host?: boolean
  /** A `remote()` entry to run inside the container with the image's node. */
  readonly entry?: Entry
  /** The command: replaces the image's CMD (the image's ENTRYPOINT, if any, stays). */
  readonly cmd?: readonly string[]
  readonly env?: EnvOption
  /** Key: absolute target path in the container. */
  readonly files?: Readonly<Record<ContainerPath, FileSource>>
  /** Alias -> another running task's `host`. */
  readonly links?: Readonly<Record<string, string>>
  /** TCP ports that must accept connections before `start()` resolves. */
  readonly ports?: readonly number[]
  /** Sidecars: started first, reachable by their key as host name, removed when the run ends. */
  readonly services?: Readonly<Record<string, Cr>>
  /** How long each of `ports` may take to open, in ms. Default 60 000. */
  readonly portTimeout?: number
  /**
   * Aborts the run: the container is stopped, what it stored so far is kept, everything the
   * run created is removed, and the run rejects with an `AbortedError` carrying its Document.
   */
  readonly signal?: AbortSignal
  /**
   * Ms from `start()` until the main container must have ended. Past it the run is stopped
   * (SIGTERM, then SIGKILL after a grace period) and rejects with a `TimeoutError` holding the
   * results so far. Default: `LEVRT_TIMEOUT`, else none.
   */
  readonly timeout?: number
  /** Ms the main container may go without output or a new record (else as `timeout`). Default: `LEVRT_IDLE_TIMEOUT`. */
  readonly idleTimeout?: number
  /** Memory limit: bytes, or `'512m'`, `'2g'`. Applies to the main container and its services. */
  readonly memory?: MemorySize
  /** CPU limit, e.g. `0.5`. Applies to the main container and its services. */
  readonly cpus?: number
  /** Most processes (and threads) the container may run. Applies to the main container and its services. */
  readonly pids?: number
}
