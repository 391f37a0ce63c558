import { OptionsError } from '../errors'

/**
 * Our own address pool for the networks levrt makes. A Docker engine with its default pools
 * gives out whole /16s and /20s and runs dry after about 30 user networks ("could not find an
 * available, non-overlapping IPv4 address pool"); carving small subnets out of one range of
 * ours lets hundreds of runs with sidecars coexist.
 */
export interface SubnetPool {
  /** e.g. `10.77.0.0/16` */
  readonly range: string
  /** Prefix length of each network's subnet, e.g. 26 (62 addresses). */
  readonly prefix: number
}

/** Run networks: 1024 subnets of 62 addresses. `LEVRT_SUBNET_POOL=10.77.0.0/16:26` changes it. */
export const DEFAULT_RUN_POOL: SubnetPool = { range: '10.77.0.0/16', prefix: 26 }

export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.')
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined
  return parts.reduce((n, p) => n * 256 + Number(p), 0)
}

export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.')
}

/** `'10.77.0.0/16:26'` (range and per-network prefix); throws OptionsError naming `option`. */
export function parsePool(text: string, option: string): SubnetPool {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+):(\d+)$/.exec(text.trim())
  const base = m ? parseIPv4(m[1]) : undefined
  const rangePrefix = m ? Number(m[2]) : NaN
  const prefix = m ? Number(m[3]) : NaN
  if (base === undefined || !(rangePrefix >= 8 && rangePrefix <= prefix && prefix <= 29)) {
    throw new OptionsError(
      option,
      `${JSON.stringify(text)} is not <range>/<bits>:<prefix>, e.g. 10.77.0.0/16:26 (prefix up to 29)`,
    )
  }
  if (base % 2 ** (32 - rangePrefix) !== 0)
    throw new OptionsError(option, `${m![1]} is not the start of a /${rangePrefix}`)
  return { range: `${m![1]}/${rangePrefix}`, prefix }
}

export function poolFromEnv(env: NodeJS.ProcessEnv = process.env): SubnetPool {
  const raw = env.LEVRT_SUBNET_POOL
  return raw ? parsePool(raw, 'LEVRT_SUBNET_POOL') : DEFAULT_RUN_POOL
}

/** Whether two CIDRs share an address. */
export function overlaps(a: string, b: string): boolean {
  const [ra, rb] = [cidrRange(a), cidrRange(b)]
  return !!ra && !!rb && ra[0] < rb[1] && rb[0] < ra[1]
}

/** [first, end) of a CIDR, or undefined for what is not an IPv4 CIDR (IPv6 networks). */
function cidrRange(cidr: string): [number, number] | undefined {
  const [ip, bits] = cidr.split('/')
  const start = parseIPv4(ip)
  const prefix = Number(bits)
  if (start === undefined || !(prefix >= 0 && prefix <= 32)) return undefined
  const size = 2 ** (32 - prefix)
  const first = start - (start % size)
  return [first, first + size]
}

/**
 * The pool's subnets that overlap none of `used`, starting at a random one: processes sharing
 * an engine then rarely reach for the same subnet at once (the engine refuses the loser, who
 * takes the next).
 */
export function* freeSubnets(
  pool: SubnetPool,
  used: readonly string[],
  random: () => number = Math.random,
): Generator<string> {
  const [first, end] = cidrRange(pool.range)!
  const size = 2 ** (32 - pool.prefix)
  const count = (end - first) / size
  const offset = Math.floor(random() * count)
  for (let i = 0; i < count; i++) {
    const subnet = `${formatIPv4(first + ((offset + i) % count) * size)}/${pool.prefix}`
    if (!used.some((u) => overlaps(u, subnet))) yield subnet
  }
}
