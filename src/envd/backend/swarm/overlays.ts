import type Dockerode from 'dockerode'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, statusOf } from '../../../docker/status'
import { freeSubnets, type SubnetPool } from '../../../docker/subnets'
import { NetworkError } from '../../../errors'
import { KeyedMutex } from '../../lock'
import { ENVD_LABEL, labelFilter } from '../docker/labels'
import { swarmLabels, swarmNames } from './names'

/** How many taken subnets to step over before giving up. */
const MAX_CONFLICTS = 32
/** How long a new overlay may stay unallocated before it is taken as refused (its subnet taken). */
const ALLOCATION_MS = 20_000

/** A uid's overlay, or the `edge` overlay the forwarders of egress-blocked environments publish from. */
export type OverlayKey = number | 'edge'

/**
 * One attachable overlay per uid, across every node, on a subnet of our own pool: all of that
 * uid's environments and only theirs (VXLAN keeps two uids apart on every node). With
 * `internal` (--block-egress), uid overlays have no way out, and the `edge` overlay (not
 * internal) carries the forwarders. A network lives while an environment uses it; one key's
 * create and removal are serialized.
 */
export class UidOverlays {
  private readonly users = new Map<OverlayKey, Set<number>>()
  private readonly locks = new KeyedMutex<OverlayKey>()
  /** Subnets our creates chose and the swarm has not allocated yet. */
  private readonly claimed = new Set<string>()

  constructor(
    private readonly docker: Dockerode,
    private readonly instance: string,
    private readonly pool: SubnetPool,
    private readonly internal: boolean,
  ) {}

  name(key: OverlayKey): string {
    return key === 'edge' ? swarmNames.edge(this.instance) : swarmNames.network(this.instance, key)
  }

  adopt(key: OverlayKey, id: number): void {
    this.usersOf(key).add(id)
  }

  acquire(key: OverlayKey, id: number): Promise<string> {
    return this.locks.run(key, async () => {
      this.usersOf(key).add(id)
      const name = this.name(key)
      if (await this.exists(name)) return name
      await this.create(name, key)
      return name
    })
  }

  release(key: OverlayKey, id: number): Promise<void> {
    return this.locks.run(key, async () => {
      const users = this.users.get(key)
      users?.delete(id)
      if (users?.size) return
      this.users.delete(key)
      await this.remove(this.name(key))
    })
  }

  /** Removes this instance's overlays no environment uses. */
  async sweep(): Promise<void> {
    const found = await this.docker.listNetworks({
      filters: labelFilter({ [ENVD_LABEL.instance]: this.instance }),
    })
    await Promise.all(
      found.map((n) => {
        const uid = n.Labels?.[ENVD_LABEL.uid]
        const key: OverlayKey = uid === undefined ? 'edge' : Number(uid)
        return this.locks.run(key, async () => {
          if (!this.users.get(key)?.size) await this.remove(n.Name)
        })
      }),
    )
  }

  /**
   * The manager takes any subnet at create time and allocates it later: a second overlay on a
   * subnet already taken is accepted, never allocated, and its tasks stay `new` for ever. So a
   * subnet is claimed here (synchronously, between the listing and the create) until the swarm
   * has allocated it, and no two of our creates pick the same one, while they still run at once;
   * a network left unallocated (someone else took the subnet meanwhile) is replaced.
   */
  private async create(name: string, key: OverlayKey): Promise<void> {
    for (let conflicts = 0; ; conflicts++) {
      const subnet = await this.createOn(name, key)
      if (subnet === undefined) return
      const ok = await this.allocated(name, subnet).finally(() => this.claimed.delete(subnet))
      if (ok) return
      await this.remove(name)
      if (conflicts >= MAX_CONFLICTS) throw new NetworkError(name, `the swarm did not allocate ${subnet}`)
    }
  }

  /** Creates the overlay on a free subnet; answers it (undefined: an earlier instance of us made it). */
  private async createOn(name: string, key: OverlayKey): Promise<string | undefined> {
    const networks = await this.docker.listNetworks()
    const used = networks.flatMap((n) => (n.IPAM?.Config ?? []).flatMap((c) => (c.Subnet ? [c.Subnet] : [])))
    let conflicts = 0
    for (const subnet of freeSubnets(this.pool, [...used, ...this.claimed])) {
      if (this.claimed.has(subnet)) continue // claimed by a create that ran while this one iterated
      this.claimed.add(subnet)
      try {
        await this.docker.createNetwork({
          Name: name,
          Driver: 'overlay',
          Attachable: true,
          CheckDuplicate: true,
          Internal: this.internal && key !== 'edge',
          Labels:
            key === 'edge'
              ? swarmLabels(this.instance, 'envd:edge')
              : { ...swarmLabels(this.instance, 'envd:network'), [ENVD_LABEL.uid]: String(key) },
          IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] },
        })
        return subnet
      } catch (err) {
        this.claimed.delete(subnet)
        if (await this.exists(name)) return undefined
        if (!/overlap|in use/i.test(describe(err)) || ++conflicts > MAX_CONFLICTS) throw err
      }
    }
    throw new NetworkError(
      name,
      `no free /${this.pool.prefix} subnet left in ${this.pool.range} (--subnet-pool)`,
    )
  }

  /** Whether the manager allocated the overlay its subnet (it does so within milliseconds, or never). */
  private async allocated(name: string, subnet: string): Promise<boolean> {
    const deadline = Date.now() + ALLOCATION_MS
    for (;;) {
      const info = (await this.docker.getNetwork(name).inspect()) as Dockerode.NetworkInspectInfo
      if (info.IPAM?.Config?.some((c) => c.Subnet === subnet)) return true
      if (Date.now() >= deadline) return false
      await sleep(100)
    }
  }

  private usersOf(key: OverlayKey): Set<number> {
    let set = this.users.get(key)
    if (!set) this.users.set(key, (set = new Set()))
    return set
  }

  private async exists(name: string): Promise<boolean> {
    // By exact name: the engine's lookup also matches id prefixes.
    const found = await this.docker.listNetworks({ filters: JSON.stringify({ name: [name] }) })
    return found.some((n) => n.Name === name)
  }

  /** Tasks leave a network a moment after their service is gone: a removal is tried again meanwhile. */
  private async remove(name: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.docker.getNetwork(name).remove()
        return
      } catch (err) {
        // A network already being removed by the manager answers 500 "not found".
        if (statusOf(err) === 404 || /not found/i.test(describe(err))) return
        if (attempt >= 40 || !/in use|active endpoints/i.test(describe(err))) throw err
        await new Promise((r) => setTimeout(r, 250))
      }
    }
  }
}
