import Dockerode from 'dockerode'

/**
 * Connects to the Docker engine the way the docker CLI finds it: `DOCKER_HOST` (with
 * `DOCKER_TLS_VERIFY` / `DOCKER_CERT_PATH`), else the local socket. docker-modem already reads
 * those variables, so we only add a shared instance: one HTTP agent for every run keeps
 * connections alive between calls.
 */
let shared: Dockerode | undefined

export function docker(): Dockerode {
  shared ??= new Dockerode()
  return shared
}

/** Where the engine is, for error messages. */
export function engineAddress(): string {
  return process.env.DOCKER_HOST || 'unix:///var/run/docker.sock'
}
