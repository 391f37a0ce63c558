import type Dockerode from 'dockerode'
import { describe, NetworkError } from '../errors'
import { freeSubnets, type SubnetPool } from './subnets'

export interface NetworkOptions {
  readonly pool?: SubnetPool
  /** No route out of the network (containers still reach each other, published ports still work). */
  readonly internal?: boolean
}

/** How many taken subnets to step over (another process got there first) before giving up. */
const MAX_CONFLICTS = 32

/**
 * Creates a bridge network, on a free subnet of `options.pool` when given. The engine's own view
 * of the subnets in use is read first; a create that still collides (another process took the
 * subnet meanwhile) moves on to the next free one.
 */
export async function createPooledNetwork(
  docker: Dockerode,
  name: string,
  labels: Readonly<Record<string, string>>,
  options: NetworkOptions,
): Promise<Dockerode.Network> {
  const base = {
    Name: name,
    Driver: 'bridge',
    CheckDuplicate: true,
    Internal: options.internal ?? false,
    Labels: { ...labels },
  }
  const pool = options.pool
  if (!pool) return docker.createNetwork(base)
  const networks = await docker.listNetworks()
  const used = networks.flatMap((n) =>
    (n.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s): s is string => !!s),
  )
  let conflicts = 0
  for (const subnet of freeSubnets(pool, used)) {
    try {
      return await docker.createNetwork({
        ...base,
        IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] },
      })
    } catch (err) {
      if (!/overlap/i.test(describe(err)) || ++conflicts > MAX_CONFLICTS) throw err
    }
  }
  throw new NetworkError(
    name,
    `could not create it: no free /${pool.prefix} subnet left in ${pool.range} (set LEVRT_SUBNET_POOL to a larger range)`,
  )
}
