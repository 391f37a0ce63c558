import Dockerode from 'dockerode'

/**
 * A connection to the Docker engine found the way the docker CLI finds it: `DOCKER_HOST` (with
 * `DOCKER_TLS_VERIFY` / `DOCKER_CERT_PATH`), else the local socket. docker-modem reads those
 * variables; `options` override them. One connection (one HTTP agent) per context keeps
 * connections alive between calls.
 */
export function connectDocker(options?: Dockerode.DockerOptions): Dockerode {
  return new Dockerode(options)
}

/** Where the engine is, for error messages. */
export function engineAddress(options?: Dockerode.DockerOptions): string {
  if (options?.socketPath) return `unix://${options.socketPath}`
  if (options?.host) return `${options.protocol ?? 'http'}://${options.host}:${options.port ?? 2375}`
  return process.env.DOCKER_HOST || 'unix:///var/run/docker.sock'
}

/** A unix socket or named pipe means this machine's engine, whose bridge addresses we can reach. */
export function isLocalAddress(address: string): boolean {
  return address.startsWith('unix://') || address.startsWith('npipe://')
}
