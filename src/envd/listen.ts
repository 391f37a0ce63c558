import { isIP } from 'node:net'
import { EnvdOptionsError } from './options-error'

/** Where the API listens. */
export interface Listen {
  readonly host: string
  readonly port: number
}

/** `ADDRESS:PORT` (an IPv6 address in brackets). */
export function parseListen(text: string): Listen {
  const m = /^(.+):(\d+)$/.exec(text)
  if (!m) throw new EnvdOptionsError('--listen', `${JSON.stringify(text)} is not ADDRESS:PORT`)
  const port = Number(m[2])
  if (port > 65535) throw new EnvdOptionsError('--listen', `port ${port} is out of range`)
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port }
}

/** Only this host can connect: 127.0.0.0/8, ::1 (also as ::ffff:127.x), `localhost`. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  const v6 = host.toLowerCase()
  return v6 === '::1' || /^::ffff:127\./.test(v6)
}

/**
 * An API anyone on the network can call must not be open by accident: a non-loopback address
 * needs a token, or the operator's explicit `--insecure-no-token`.
 */
export function checkExposure(listen: Listen, token: string | undefined, insecureNoToken: boolean): void {
  if (token || insecureNoToken || isLoopback(listen.host)) return
  throw new EnvdOptionsError(
    '--listen',
    `${listen.host} is reachable from other hosts and no token is set: anyone who reaches it could list, ` +
      'create and delete every environment. Set one, e.g. `export LEVRT_ENVD_TOKEN=$(openssl rand -hex 32)`, ' +
      'and send `Authorization: Bearer <token>`; or listen on 127.0.0.1; or pass --insecure-no-token ' +
      'if something in front of the service (a firewall, an authenticating proxy) already guards it',
  )
}
