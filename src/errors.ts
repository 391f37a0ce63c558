import { describe } from './docker/status'

/** The engine's own words for an error (see docker/status). */
export { describe }
/**
 * Every error levrt throws is a `LevError` with a stable `code`, so callers can branch on
 * `err.code` (or `instanceof`) instead of parsing messages.
 *
 * ```ts
 * const setupProblems: LevErrorCode[] = ['LEV_ENGINE_UNAVAILABLE', 'LEV_IMAGE_UNAVAILABLE']
 * try { await scan('example.com') } catch (err) {
 *   if (err instanceof LevError && setupProblems.includes(err.code)) console.error('fix this machine first:', err.message)
 *   else throw err
 * }
 * ```
 */
export type LevErrorCode =
  | 'LEV_INVALID_OPTION'
  | 'LEV_ENGINE_UNAVAILABLE'
  | 'LEV_IMAGE_UNAVAILABLE'
  | 'LEV_CONTAINER_CREATE'
  | 'LEV_CONTAINER_START'
  | 'LEV_ENGINE_LOST'
  | 'LEV_STORE'
  | 'LEV_QUERY'
  | 'LEV_STORE_UNAVAILABLE'
  | 'LEV_RESULT_TOO_LARGE'
  | 'LEV_BAD_RECORD'
  | 'LEV_ENTRY_FAILED'
  | 'LEV_RESULTS_LOST'
  | 'LEV_NO_NODE'
  | 'LEV_PORT_TIMEOUT'
  | 'LEV_SERVICE_FAILED'
  | 'LEV_ABORTED'
  | 'LEV_TIMEOUT'
  | 'LEV_NETWORK'

/**
 * The base of every error levrt throws: `code` is stable (a {@link LevErrorCode}) and the message
 * says what to do. Whatever the error, everything the run created is removed before it reaches you.
 *
 * ```ts
 * try { await scan('example.com') } catch (err) {
 *   if (err instanceof LevError) console.error(`[${err.code}] ${err.message}`)   // [LEV_TIMEOUT] the run took longer...
 *   else throw err
 * }
 * ```
 */
export abstract class LevError extends Error {
  abstract readonly code: LevErrorCode
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
  }
}

/**
 * A `Cr` option is malformed. Thrown by the constructor, before anything is created (and by
 * `annot.meta`, `remote(fn)(...args)`, `task.signal` and `Concurrent` for their own arguments).
 *
 * ```ts
 * try { new Cr('levrt/busybox', { ports: [80, 70000] }) }
 * catch (err) { if (err instanceof OptionsError) console.log(err.option, err.reason) }   // 'ports[1]' '70000 is not a TCP port (1-65535)'
 * ```
 */
export class OptionsError extends LevError {
  readonly code = 'LEV_INVALID_OPTION'
  constructor(
    /** Where the bad value is, e.g. `ports[1]` or `files["rel/path"]`. */
    readonly option: string,
    readonly reason: string,
  ) {
    super(`invalid option ${option}: ${reason}`)
  }
}

/**
 * No Docker engine answers at the configured address (`DOCKER_HOST`, else `/var/run/docker.sock`).
 *
 * ```ts
 * try { await scan('example.com') } catch (err) {
 *   if (err instanceof EngineUnavailableError) console.error(`no engine at ${err.address}: start Docker or set DOCKER_HOST`)
 * }
 * ```
 */
export class EngineUnavailableError extends LevError {
  readonly code = 'LEV_ENGINE_UNAVAILABLE'
  constructor(
    readonly address: string,
    cause: unknown,
  ) {
    super(
      `no Docker engine answers at ${address} (${describe(cause)}). ` +
        'Start the engine (on Debian: `apt-get install docker.io`, then `systemctl start docker`) ' +
        'or point DOCKER_HOST at a running one.',
      { cause },
    )
  }
}

/**
 * The image is not on the engine and could not be pulled. The message says how to build or
 * load it instead.
 *
 * ```ts
 * try { await new Cr('you/masscan:1.0', { cmd: ['masscan', '--version'] }) } catch (err) {
 *   if (err instanceof ImageUnavailableError) console.error(`build or \`docker load\` ${err.image} on this engine`)
 * }
 * ```
 */
export class ImageUnavailableError extends LevError {
  readonly code = 'LEV_IMAGE_UNAVAILABLE'
  constructor(
    readonly image: string,
    cause: unknown,
  ) {
    super(
      `image ${image} is not on the engine and pulling it failed (${describe(cause)}). ` +
        'If no registry is reachable, put it on that engine yourself: ' +
        `\`docker build -t ${image} <folder>\`, or \`docker save ${image} | docker -H <engine> load\`.`,
      { cause },
    )
  }
}

/**
 * Raised with the container's last output lines, so a failure can be read without the engine.
 * The base of `ContainerCreateError`, `ContainerStartError`, `EngineLostError`, `NoNodeError`,
 * `PortTimeoutError` and `ServiceError`.
 *
 * ```ts
 * try { await new Cr('levkit/nginx:1.0', { ports: [80] }).start() } catch (err) {
 *   if (err instanceof ContainerError) console.error(`${err.image} failed (${err.code}):\n${err.logs}`)
 * }
 * ```
 */
export abstract class ContainerError extends LevError {
  constructor(
    message: string,
    readonly image: string,
    /** The container's last lines of output (stdout and stderr interleaved), if any. */
    readonly logs: string,
    cause?: unknown,
  ) {
    super(logs ? `${message}\n--- last output of the container ---\n${logs}` : message, { cause })
  }
}

/**
 * The engine refused to create the container. Nothing ran, so there are no logs: `cause` holds
 * the engine's own error.
 *
 * ```ts
 * try { await new Cr('levkit/nmap:1.0', 'talentsec/nmap@1.0', { entry: scan(ip) }) } catch (err) {
 *   if (err instanceof ContainerCreateError) console.error(`the engine refused ${err.image}:`, err.cause)
 * }
 * ```
 */
export class ContainerCreateError extends ContainerError {
  readonly code = 'LEV_CONTAINER_CREATE'
  constructor(image: string, cause: unknown) {
    super(`could not create a container of ${image}: ${describe(cause)}`, image, '', cause)
  }
}

/**
 * The container would not start (e.g. its program does not exist), or it exited before its
 * `ports` opened. `logs` holds what it printed.
 *
 * ```ts
 * try { await new Cr('levrt/busybox', { cmd: ['/no/such/program'] }) } catch (err) {
 *   if (err instanceof ContainerStartError) console.error(err.message, err.logs)   // ...no such file or directory
 * }
 * ```
 */
export class ContainerStartError extends ContainerError {
  readonly code = 'LEV_CONTAINER_START'
  constructor(image: string, logs: string, cause: unknown) {
    super(`could not start the container of ${image}: ${describe(cause)}`, image, logs, cause)
  }
}

/**
 * The engine stopped answering while a container was running.
 *
 * ```ts
 * try { await new Cr('levkit/nmap:1.0', 'talentsec/nmap@1.0', { entry: scan(ip) }) } catch (err) {
 *   if (err instanceof EngineLostError) console.error(`Docker went away during ${err.image}; its last output:\n${err.logs}`)
 * }
 * ```
 */
export class EngineLostError extends ContainerError {
  readonly code = 'LEV_ENGINE_LOST'
  constructor(image: string, logs: string, cause: unknown) {
    super(`lost the Docker engine while ${image} was running: ${describe(cause)}`, image, logs, cause)
  }
}

/**
 * The results store failed: it refused a write, or could not run a query or make an index.
 *
 * ```ts
 * try { await doc.coll.createIndex({ target: 1 }) } catch (err) {
 *   if (err instanceof StoreError) console.error(err.unreachable ? 'the store does not answer' : 'the store refused:', err.cause)
 * }
 * ```
 */
export class StoreError extends LevError {
  readonly code = 'LEV_STORE'
  constructor(
    message: string,
    cause?: unknown,
    /** True when the store did not answer at all (as opposed to refusing the write). */
    readonly unreachable = false,
    /** Where a run's result that the store refused is kept whole, when it could be kept. */
    readonly path?: string,
  ) {
    super(
      (cause === undefined ? message : `${message}: ${describe(cause)}`) +
        (path === undefined ? '' : `; the whole result is kept in ${path}`),
      { cause },
    )
  }
}

/**
 * The store did not answer when the run ended. The result is not lost: it is kept in `path`
 * and written to the store as soon as it answers again (in this process, or on the next run).
 *
 * ```ts
 * try { await scan('example.com') } catch (err) {
 *   if (err instanceof StoreUnavailableError) console.warn(`${err.store} is down; the result waits in ${err.path}`)
 * }
 * ```
 */
export class StoreUnavailableError extends LevError {
  readonly code = 'LEV_STORE_UNAVAILABLE'
  constructor(
    readonly store: string,
    readonly path: string,
    cause: unknown,
  ) {
    super(
      `the results store ${store} did not answer (${describe(cause)}); the result is kept in ${path} ` +
        'and will be written when the store answers again (retried in this process, and by the next run)',
      { cause },
    )
  }
}

/**
 * The run's document would exceed MongoDB's 16 MiB limit. Nothing is cut: it is kept in `path`.
 *
 * ```ts
 * try { await scan('10.0.0.0/8') } catch (err) {
 *   if (err instanceof ResultTooLargeError) console.error(`${err.bytes} bytes > ${err.limit}; the whole result is in ${err.path}`)
 * }
 * ```
 */
export class ResultTooLargeError extends LevError {
  readonly code = 'LEV_RESULT_TOO_LARGE'
  constructor(
    readonly bytes: number,
    readonly limit: number,
    readonly path: string,
  ) {
    super(
      `the run's result is ${bytes} bytes as BSON, over the ${limit}-byte limit of one MongoDB document; ` +
        `it was not stored, and not cut: the whole result is kept in ${path}. Store less per run, or split it over runs.`,
    )
  }
}

/**
 * How an entry failed, as the in-container runtime reports it: an `EntryError`'s `failure`.
 *
 * ```ts
 * const failure: EntryFailure | undefined = err instanceof EntryError ? err.failure : undefined
 * if (failure?.hostVariable) console.error(`pass ${failure.hostVariable} to the entry as an argument`)
 * else if (failure) console.error(failure.stack ?? `${failure.name}: ${failure.message}`)
 * ```
 */
export interface EntryFailure {
  readonly name: string
  readonly message: string
  readonly stack?: string
  /** A variable of the host module the entry used without being given it. */
  readonly hostVariable?: string
}

/**
 * An entry cannot run in this image: it has no node of its own and levrt cannot bring one
 * (an image for another CPU than x86_64, or a host whose node is not linux x86_64).
 *
 * ```ts
 * try { await new Cr('arm64v8/alpine', { entry: remote(async (lev) => lev.set({ ok: true })) }) } catch (err) {
 *   if (err instanceof NoNodeError) console.error(`${err.image}: run the tool with \`cmd\` and store through $LEV_RECORDS`)
 * }
 * ```
 */
export class NoNodeError extends ContainerError {
  readonly code = 'LEV_NO_NODE'
  constructor(image: string, reason: string, logs = '', cause?: unknown) {
    super(
      `image ${image} has no \`node\` and levrt cannot bring its own: ${reason}. ` +
        'Use an image with node, or run a command with `cmd` and store results through the records file (see the README).',
      image,
      logs,
      cause,
    )
  }
}

/**
 * A port never accepted connections within `portTimeout` (default 60 s).
 *
 * ```ts
 * try { await new Cr('levkit/nginx:1.0', { ports: [8080], portTimeout: 10_000 }).start() } catch (err) {
 *   if (err instanceof PortTimeoutError) console.error(`port ${err.port} not open after ${err.timeoutMs} ms:\n${err.logs}`)
 * }
 * ```
 */
export class PortTimeoutError extends ContainerError {
  readonly code = 'LEV_PORT_TIMEOUT'
  constructor(
    image: string,
    readonly port: number,
    readonly timeoutMs: number,
    logs: string,
  ) {
    super(`port ${port} of ${image} did not accept connections within ${timeoutMs} ms`, image, logs)
  }
}

/**
 * A service (sidecar) failed: it would not start, exited, or never opened its port.
 *
 * ```ts
 * const web = new Cr('levkit/nginx:1.0', { ports: [80] })
 * try { await new Cr('levkit/nmap:1.0', 'talentsec/nmap@1.0', { entry: scan('web'), services: { web } }) } catch (err) {
 *   if (err instanceof ServiceError) console.error(`sidecar ${err.service} failed:\n${err.logs}`)
 * }
 * ```
 */
export class ServiceError extends ContainerError {
  readonly code = 'LEV_SERVICE_FAILED'
  constructor(
    readonly service: string,
    image: string,
    logs: string,
    cause: unknown,
  ) {
    super(`service ${service} (${image}) failed: ${describe(cause)}`, image, logs, cause)
  }
}

/**
 * The engine could not make a network (for a run's services and links, or an environment),
 * e.g. when the subnet pool is full.
 *
 * ```ts
 * const web = new Cr('levkit/nginx:1.0', { ports: [80] })   // a sidecar: the run gets its own network
 * try { await new Cr('levkit/nmap:1.0', 'talentsec/nmap@1.0', { entry: scan('web'), services: { web } }) } catch (err) {
 *   if (err instanceof NetworkError) console.error(`no network ${err.network}: ${err.message}`)   // ...set LEVRT_SUBNET_POOL
 * }
 * ```
 */
export class NetworkError extends LevError {
  readonly code = 'LEV_NETWORK'
  constructor(
    readonly network: string,
    reason: string,
    cause?: unknown,
  ) {
    super(`network ${network}: ${reason}`, { cause })
  }
}
