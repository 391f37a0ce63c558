/**
 * Every error levrt throws is a `LevError` with a stable `code`, so callers can branch on
 * `err.code` (or `instanceof`) instead of parsing messages.
 */
export type LevErrorCode =
  | 'LEV_INVALID_OPTION'
  | 'LEV_ENGINE_UNAVAILABLE'
  | 'LEV_IMAGE_UNAVAILABLE'
  | 'LEV_CONTAINER_CREATE'
  | 'LEV_CONTAINER_START'
  | 'LEV_ENGINE_LOST'
  | 'LEV_STORE'

export abstract class LevError extends Error {
  abstract readonly code: LevErrorCode
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
  }
}

/** A `Cr` option is malformed. Thrown by the constructor, before anything is created. */
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

/** No Docker engine answers at the configured address. */
export class EngineUnavailableError extends LevError {
  readonly code = 'LEV_ENGINE_UNAVAILABLE'
  constructor(readonly address: string, cause: unknown) {
    super(
      `no Docker engine answers at ${address} (${describe(cause)}). ` +
        'Start one (`npm run setup` installs and starts Debian\'s docker.io as root) ' +
        'or point DOCKER_HOST at a running engine.',
      { cause },
    )
  }
}

/** The image is not on the engine and could not be pulled. */
export class ImageUnavailableError extends LevError {
  readonly code = 'LEV_IMAGE_UNAVAILABLE'
  constructor(readonly image: string, cause: unknown) {
    super(
      `image ${image} is not on the engine and pulling it failed (${describe(cause)}). ` +
        'If no registry is reachable, build or load it instead: `npm run images` builds the ' +
        'levrt/* images from this machine\'s binaries; otherwise `docker build -t ' +
        `${image} .\` or \`docker load -i image.tar\`.`,
      { cause },
    )
  }
}

/** Raised with the container's last output lines, so a failure can be read without the engine. */
abstract class ContainerError extends LevError {
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

export class ContainerCreateError extends ContainerError {
  readonly code = 'LEV_CONTAINER_CREATE'
  constructor(image: string, cause: unknown) {
    super(`could not create a container of ${image}: ${describe(cause)}`, image, '', cause)
  }
}

export class ContainerStartError extends ContainerError {
  readonly code = 'LEV_CONTAINER_START'
  constructor(image: string, logs: string, cause: unknown) {
    super(`could not start the container of ${image}: ${describe(cause)}`, image, logs, cause)
  }
}

/** The engine stopped answering while a container was running. */
export class EngineLostError extends ContainerError {
  readonly code = 'LEV_ENGINE_LOST'
  constructor(image: string, logs: string, cause: unknown) {
    super(`lost the Docker engine while ${image} was running: ${describe(cause)}`, image, logs, cause)
  }
}

/** The results store failed. */
export class StoreError extends LevError {
  readonly code = 'LEV_STORE'
  constructor(message: string, cause?: unknown) {
    super(cause === undefined ? message : `${message}: ${describe(cause)}`, { cause })
  }
}

export function describe(err: unknown): string {
  if (err instanceof Error) {
    // dockerode puts the engine's own words in `json.message`; they beat "HTTP code 404".
    const json = (err as { json?: { message?: unknown } }).json
    return typeof json?.message === 'string' ? json.message : err.message
  }
  return String(err)
}
