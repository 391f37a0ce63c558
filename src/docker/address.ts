import type Dockerode from 'dockerode'
import { OptionsError } from '../errors'

/**
 * dockerode's options for an engine address written as `DOCKER_HOST` is: `unix:///path`,
 * `tcp://host:port` (TLS when `DOCKER_TLS_VERIFY` is set, as the docker CLI does), or
 * `ssh://user@host`. `option` names the setting in the error for any other form.
 */
export function dockerOptionsOf(address: string, option: string): Dockerode.DockerOptions {
  const refused = () =>
    new OptionsError(
      option,
      `${JSON.stringify(address)} is not an engine address (unix://, tcp:// or ssh://)`,
    )
  let url: URL
  try {
    url = new URL(address)
  } catch {
    throw refused()
  }
  switch (url.protocol) {
    case 'unix:':
      return { socketPath: url.pathname }
    case 'tcp:': {
      const tls = Boolean(process.env.DOCKER_TLS_VERIFY)
      return {
        host: url.hostname,
        port: Number(url.port) || (tls ? 2376 : 2375),
        protocol: tls ? 'https' : 'http',
      }
    }
    case 'ssh:':
      return {
        protocol: 'ssh',
        host: url.hostname,
        port: Number(url.port) || 22,
        ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      }
    default:
      throw refused()
  }
}
