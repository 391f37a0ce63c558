import type { Entry } from './entry'
import type { MemorySize } from './limits'
import type { ServiceCr } from './spec-symbol'

export type { MemorySize } from './limits'

/**
 * `<namespace>/<name>@<major>.<minor>`, e.g. `talentsec/nmap@1.0`: names the collection a run's
 * document goes to. `Cr` takes any string (the contract's type) and checks it when made; a
 * constant annotated with this type is checked by the compiler too.
 *
 * ```ts
 * const schema: Schema = 'talentsec/nmap@1.0'        // 'nmap' or 'talentsec/nmap' does not compile
 * await new Cr('levkit/nmap:1.0', schema, { entry: scan(ip) })
 * ```
 */
export type Schema = `${string}/${string}@${number}.${number}`

/**
 * An absolute path inside the container, as the keys of `files` must be (checked when the `Cr`
 * is made; a constant annotated with this type is checked by the compiler too).
 *
 * ```ts
 * const conf: ContainerPath = '/etc/nginx/conf.d/default.conf'     // 'conf.d/x' does not compile
 * new Cr('levkit/nginx:1.0', { files: { [conf]: 'server { listen 8080; }' }, ports: [8080] })
 * ```
 */
export type ContainerPath = `/${string}`

/**
 * A file's content, or a local file or directory (streamed, never read whole into memory).
 * With `bind: true`, the local path is bind-mounted read-only instead of copied (nothing is
 * copied; only where the engine is local: a remote engine is an OptionsError).
 *
 * ```ts
 * new Cr('levkit/nmap:1.0', { entry: scan(ip), files: {
 *   '/w/targets.txt': '10.0.0.1\n10.0.0.2\n',                  // content: a string, Buffer or Uint8Array
 *   '/w/scripts': { path: './nse' },                            // a local file or folder, streamed in
 *   '/w/lists': { path: '/usr/share/wordlists', bind: true },   // bind-mounted read-only (local engine)
 * } })
 * ```
 */
export type FileSource = Buffer | Uint8Array | string | { readonly path: string; readonly bind?: boolean }

/**
 * `['PATH=/bin', 'DB_URI=...']` or `{ PATH: '/bin' }`: the container's environment variables.
 *
 * ```ts
 * new Cr('levrt/busybox', { cmd: ['env'], env: ['HTTPS_PROXY=http://proxy:3128', 'DEBUG=1'] })
 * new Cr('levrt/busybox', { cmd: ['env'], env: { HTTPS_PROXY: 'http://proxy:3128', DEBUG: '1' } })   // the same
 * ```
 */
export type EnvOption = readonly string[] | Readonly<Record<string, string>>

/**
 * Options of a `Cr`. All are checked when the `Cr` is made (unknown names too): a bad one throws
 * an `OptionsError` before anything is created.
 *
 * ```ts
 * const options: CrOptions = { entry: scan('web'), timeout: 10 * 60_000, memory: '512m',
 *   services: { web: new Cr('levkit/nginx:1.0', { ports: [80] }) } }
 * await new Cr('levkit/nmap:1.0', 'talentsec/nmap@1.0', options)
 * ```
 */
export interface CrOptions {
  /** Where the run's document goes: `<namespace>/<name>@<major>.<minor>`. */
  readonly schema?: string
  /** Host network mode. Default false. */
  readonly host?: boolean
  /** A `remote()` entry to run inside the container with the image's node. */
  readonly entry?: Entry
  /** The command: replaces the image's CMD (the image's ENTRYPOINT, if any, stays). */
  readonly cmd?: readonly string[]
  readonly env?: EnvOption
  /** Key: absolute target path in the container. */
  readonly files?: Readonly<Record<string, FileSource>>
  /** Alias -> another running task's `host`. */
  readonly links?: Readonly<Record<string, string>>
  /** TCP ports that must accept connections before `start()` resolves. */
  readonly ports?: readonly number[]
  /** Sidecars: started first, reachable by their key as host name, removed when the run ends. */
  readonly services?: Readonly<Record<string, ServiceCr>>
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
  /**
   * Skip the run when a successful run with the same key (`doc.run.key`: image id, entry, cmd,
   * env, files, schema and namespace) is stored, no older than `maxAge` ms if given: its
   * Document comes back (`doc.reused === true`) and no container starts. Default:
   * `LEVRT_REUSE=1` (what `levrt run --resume` sets), else false.
   */
  readonly reuse?: boolean | { readonly maxAge: number }
  /**
   * The run's name in the live log (instead of `curl-1`, `curl-2`, ...), in its stored
   * bookkeeping (`_lev.name`) and in `levrt find`'s output: 1 to 63 letters, digits, `_ . : -`.
   */
  readonly name?: string
}
