import { isIPv4 } from 'node:net'
import { networkInterfaces } from 'node:os'
import { resolve } from 'node:path'
import type { Writable } from 'node:stream'
import { memoryBytes } from '../docker/memory'
import { parsePool, type SubnetPool } from '../docker/subnets'
import { checkExposure, parseListen } from './listen'
import { EnvdOptionsError } from './options-error'

export { EnvdOptionsError } from './options-error'

/** Per-uid networks: 2048 subnets of 30 addresses. `LEVRT_ENVD_SUBNET_POOL=10.78.0.0/16:27` changes it. */
export const DEFAULT_ENVD_POOL: SubnetPool = { range: '10.78.0.0/16', prefix: 27 }

/**
 * Capabilities every environment container keeps after `cap_drop: ALL`: what a typical service
 * (nginx, a forking daemon dropping to its own user) needs to start, nothing that reaches the host.
 */
export const DEFAULT_CAP_ADD: readonly string[] = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'SETGID',
  'SETUID',
  'NET_BIND_SERVICE',
  'KILL',
]

/** What a compose file may add with `cap_add`: Docker's default set less MKNOD and NET_RAW. */
export const DEFAULT_CAP_ALLOW: readonly string[] = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]

/** Resource limits and capabilities applied to every environment container. */
export interface Hardening {
  readonly nanoCpus: number
  readonly memoryBytes: number
  readonly pids: number
  readonly capAdd: readonly string[]
  readonly capAllow: readonly string[]
}

export interface EnvdOptions {
  readonly host: string
  readonly port: number
  /** `<data>/compose/` holds compose files; `<data>/flags/` the flag files. */
  readonly dataDir: string
  /** What `node_ip` reports: the address players use to reach this node. */
  readonly nodeIp: string
  /** Host address published ports bind to. */
  readonly bindIp: string
  readonly ports: { readonly first: number; readonly last: number }
  readonly reapEveryMs: number
  /** Live (CREATING or CREATED) environments per uid, and in all. */
  readonly maxPerUid: number
  readonly maxTotal: number
  /** Longest an environment may live from its creation: renew and create clamp `expire` to it. */
  readonly maxLifetimeMs: number
  /** How long a new environment's port may take to accept connections before it is an ERROR. */
  readonly readyTimeoutMs: number
  readonly hardening: Hardening
  readonly pool: SubnetPool
  /** Uid networks are internal (no way out); the published port goes through a forwarding container. */
  readonly blockEgress: boolean
  /** The forwarder's image (needs busybox `nc`); every node must have it. */
  readonly proxyImage: string
  /** Names this service's objects on the engine: a sweep only touches its own instance's. */
  readonly instance: string
  /** With it, every request but /health needs `Authorization: Bearer <token>`. */
  readonly token?: string
  /**
   * Traffic from the service's networks to the node itself is dropped (iptables INPUT), but for
   * replies to connections the node opened. Off only when the operator firewalls the node.
   */
  readonly nodeIsolation: boolean
  readonly logLevel: string
  /** Where environments run; undefined: swarm when the engine is a swarm manager, else docker. */
  readonly backend?: 'docker' | 'swarm'
  /** Where pino writes (default stdout). */
  readonly logStream?: Writable
}

/** What the command line (or a caller) gives; everything has a default. */
export interface EnvdInput {
  listen?: string
  data?: string
  nodeIp?: string
  bindIp?: string
  ports?: string
  reapEvery?: number | string
  maxPerUid?: number | string
  maxTotal?: number | string
  maxLifetime?: number | string
  readyTimeout?: number | string
  cpus?: number | string
  memory?: string
  pids?: number | string
  capAdd?: string
  capAllow?: string
  blockEgress?: boolean
  proxyImage?: string
  instance?: string
  subnetPool?: string
  /** Default `LEVRT_ENVD_TOKEN`. */
  token?: string
  /** Listen on a non-loopback address without a token. */
  insecureNoToken?: boolean
  /** False: install no firewall rules (`--no-node-isolation`). */
  nodeIsolation?: boolean
  logLevel?: string
  logStream?: Writable
  backend?: string
}

/** Checks and completes the options; throws EnvdOptionsError naming the bad one. */
export function resolveOptions(input: EnvdInput, env: NodeJS.ProcessEnv = process.env): EnvdOptions {
  const listen = parseListen(input.listen ?? '127.0.0.1:5000')
  const token = input.token ?? (env.LEVRT_ENVD_TOKEN || undefined)
  checkExposure(listen, token, input.insecureNoToken ?? false)
  const ports = parsePortRange(input.ports ?? '30000-31999')
  const portCount = ports.last - ports.first + 1
  // Unset, the total cap is 1000 or the ports there are, whichever is fewer: a small --ports
  // alone is a valid setting. Set above the ports, it is a mistake worth saying.
  const maxTotal = positiveInt(input.maxTotal ?? Math.min(1000, portCount), '--max-total')
  if (maxTotal > portCount)
    throw new EnvdOptionsError('--max-total', `${maxTotal} is more than the ${portCount} ports of --ports`)
  const instance = input.instance ?? 'default'
  if (!/^[a-z0-9][a-z0-9_-]{0,31}$/.test(instance))
    throw new EnvdOptionsError('--instance', `${JSON.stringify(instance)} is not a short lowercase name`)
  const poolText = input.subnetPool ?? env.LEVRT_ENVD_SUBNET_POOL
  let pool = DEFAULT_ENVD_POOL
  try {
    if (poolText) pool = parsePool(poolText, '--subnet-pool')
  } catch (err) {
    throw new EnvdOptionsError('--subnet-pool', (err as { reason?: string }).reason ?? String(err))
  }
  return {
    host: listen.host,
    port: listen.port,
    dataDir: resolve(input.data ?? './data'),
    nodeIp: input.nodeIp ?? defaultNodeIp(),
    bindIp: ipv4(input.bindIp ?? '0.0.0.0', '--bind-ip'),
    ports,
    reapEveryMs: seconds(input.reapEvery ?? 30, '--reap-every'),
    maxPerUid: positiveInt(input.maxPerUid ?? 5, '--max-per-uid'),
    maxTotal,
    maxLifetimeMs: seconds(input.maxLifetime ?? 6 * 3600, '--max-lifetime'),
    readyTimeoutMs: seconds(input.readyTimeout ?? 60, '--ready-timeout'),
    hardening: {
      nanoCpus: Math.round(positiveNumber(input.cpus ?? 0.5, '--cpus') * 1e9),
      memoryBytes: memory(input.memory ?? '256m'),
      pids: positiveInt(input.pids ?? 128, '--pids'),
      capAdd: input.capAdd === undefined ? DEFAULT_CAP_ADD : capList(input.capAdd, '--cap-add'),
      capAllow: input.capAllow === undefined ? DEFAULT_CAP_ALLOW : capList(input.capAllow, '--cap-allow'),
    },
    pool,
    blockEgress: input.blockEgress ?? false,
    proxyImage: input.proxyImage ?? 'levrt/busybox:latest',
    instance,
    token,
    nodeIsolation: input.nodeIsolation ?? true,
    logLevel: input.logLevel ?? 'info',
    logStream: input.logStream,
    backend: backendKind(input.backend),
  }
}

function backendKind(text: string | undefined): 'docker' | 'swarm' | undefined {
  if (text === undefined || text === 'docker' || text === 'swarm') return text
  throw new EnvdOptionsError('--backend', `${JSON.stringify(text)} is not docker or swarm`)
}

export function parsePortRange(text: string): { first: number; last: number } {
  const m = /^(\d+)-(\d+)$/.exec(text.trim())
  const [first, last] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN]
  if (!(first >= 1 && first <= last && last <= 65535))
    throw new EnvdOptionsError('--ports', `${JSON.stringify(text)} is not a range FIRST-LAST of ports`)
  return { first, last }
}

function seconds(value: number | string, option: string): number {
  return Math.round(positiveNumber(value, option) * 1000)
}

function positiveNumber(value: number | string, option: string): number {
  const n = typeof value === 'number' ? value : Number(value)
  if (!Number.isFinite(n) || n <= 0)
    throw new EnvdOptionsError(option, `${JSON.stringify(value)} is not a number above 0`)
  return n
}

function positiveInt(value: number | string, option: string): number {
  const n = positiveNumber(value, option)
  if (!Number.isInteger(n))
    throw new EnvdOptionsError(option, `${JSON.stringify(value)} is not a whole number`)
  return n
}

function memory(text: string): number {
  const bytes = memoryBytes(/^\d+$/.test(text) ? Number(text) : text)
  if (typeof bytes !== 'number') throw new EnvdOptionsError('--memory', bytes.reason)
  return bytes
}

function capList(text: string, option: string): string[] {
  const caps = text
    .split(',')
    .map((c) => c.trim().toUpperCase().replace(/^CAP_/, ''))
    .filter(Boolean)
  const bad = caps.find((c) => !/^[A-Z_]+$/.test(c))
  if (bad) throw new EnvdOptionsError(option, `${JSON.stringify(bad)} is not a capability name`)
  return caps
}

function ipv4(text: string, option: string): string {
  if (!isIPv4(text)) throw new EnvdOptionsError(option, `${JSON.stringify(text)} is not an IPv4 address`)
  return text
}

/** This host's first external IPv4 address (not a container bridge's), else loopback. */
function defaultNodeIp(): string {
  const all = Object.entries(networkInterfaces()).filter(([name]) => !/^(docker|br-|veth|virbr)/.test(name))
  return (
    all.flatMap(([, a]) => a ?? []).find((a) => a.family === 'IPv4' && !a.internal)?.address ?? '127.0.0.1'
  )
}
