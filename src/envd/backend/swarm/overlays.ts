import type Dockerode from 'dockerode'
import { describe, statusOf } from '../../../docker/status'
import { freeSubnets, type SubnetPool } from '../../../docker/subnets'
import { NetworkError } from '../../../errors'
import { KeyedMutex } from '../../lock'
import { ENVD_LABEL, labelFilter } from '../docker/labels'
import { swarmLabels, swarmNames } from './names'

/** How many taken subnets to step over before giving up. */
const MAX_CONFLICTS = 32

/**
 * One attachable overlay per uid, across every node, on a subnet of our own pool: all of that
 * uid's environments and only theirs (VXLAN keeps two uids apart on every node). A network
 * lives while an environment uses it; one key's create and removal are serialized.
 */
export class UidOverlays {
  private readonly users = new Map<number, Set<number>>()
  private readonly locks = new KeyedMutex<number>()

  constructor(
    private readonly docker: Dockerode,
    private readonly instance: string,
    private readonly pool: SubnetPool,
    private readonly internal: boolean,
  ) {}

  adopt(uid: number, id: number): void {
    this.usersOf(uid).add(id)
  }

  acquire(uid: number, id: number): Promise<string> {
    return this.locks.run(uid, async () => {
      this.usersOf(uid).add(id)
      const name = swarmNames.network(this.instance, uid)
      if (await this.exists(name)) return name
      await this.create(name, uid)
      return name
    })
  }

  release(uid: number, id: number): Promise<void> {
    return this.locks.run(uid, async () => {
      const users = this.users.get(uid)
      users?.delete(id)
      if (users?.size) return
      this.users.delete(uid)
      await this.remove(swarmNames.network(this.instance, uid))
    })
  }

  /** Removes this instance's overlays no environment uses. */
  async sweep(): Promise<void> {
    const found = await this.docker.listNetworks({
      filters: labelFilter({ [ENVD_LABEL.instance]: this.instance }),
    })
    await Promise.all(
      found.map((n) => {
        const uid = Number(n.Labels?.[ENVD_LABEL.uid])
        return this.locks.run(uid, async () => {
          if (!this.users.get(uid)?.size) await this.remove(n.Name)
        })
      }),
    )
  }

  private async create(name: string, uid: number): Promise<void> {
    const networks = await this.docker.listNetworks()
    const used = networks.flatMap((n) => (n.IPAM?.Config ?? []).flatMap((c) => (c.Subnet ? [c.Subnet] : [])))
    let conflicts = 0
    for (const subnet of freeSubnets(this.pool, used)) {
      try {
        await this.docker.createNetwork({
          Name: name,
          Driver: 'overlay',
          Attachable: true,
          CheckDuplicate: true,
          Internal: this.internal,
          Labels: { ...swarmLabels(this.instance, 'envd:network'), [ENVD_LABEL.uid]: String(uid) },
          IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] },
        })
        return
      } catch (err) {
        if (await this.exists(name)) return // made meanwhile by an earlier instance of us
        if (!/overlap|in use/i.test(describe(err)) || ++conflicts > MAX_CONFLICTS) throw err
      }
    }
    throw new NetworkError(
      name,
      `no free /${this.pool.prefix} subnet left in ${this.pool.range} (--subnet-pool)`,
    )
  }

  private usersOf(uid: number): Set<number> {
    let set = this.users.get(uid)
    if (!set) this.users.set(uid, (set = new Set()))
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
