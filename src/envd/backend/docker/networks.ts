import type Dockerode from 'dockerode'
import { createPooledNetwork } from '../../../docker/network-create'
import { statusOf } from '../../../docker/status'
import type { SubnetPool } from '../../../docker/subnets'
import { KeyedMutex } from '../../lock'
import type { NodeFirewall } from './firewall'
import { ENVD_LABEL, envdLabels, labelFilter, names } from './labels'
import { removeNetwork } from './network-remove'

type Key = number | 'edge'

/**
 * One bridge network per uid (all of that uid's environments, and only theirs), each on a small
 * subnet of our own pool so a thousand uids fit where the engine's default pools stop at ~30.
 * A network lives while an environment uses it: users are counted per key, and creating and
 * removing one key's network are serialized, so a create never races the removal of its network.
 * With `internal`, uid networks have no way out; the `edge` network (not internal) then carries
 * the forwarders that publish their ports.
 */
export class UidNetworks {
  private readonly users = new Map<Key, Set<number>>()
  private readonly locks = new KeyedMutex<Key>()

  constructor(
    private readonly docker: Dockerode,
    private readonly instance: string,
    private readonly pool: SubnetPool,
    private readonly internal: boolean,
    /** Node isolation's rules, installed before a network is handed out; none when it is off. */
    private readonly firewall: NodeFirewall | undefined,
  ) {}

  name(key: Key): string {
    return key === 'edge' ? names.edge(this.instance) : names.network(this.instance, key)
  }

  /** Counts an environment found running at start-up. */
  adopt(key: Key, id: number): void {
    this.usersOf(key).add(id)
  }

  /** The key's network, created if needed, with `id` counted as a user. */
  acquire(key: Key, id: number): Promise<string> {
    return this.locks.run(key, async () => {
      this.usersOf(key).add(id)
      const name = this.name(key)
      const found = await this.inspect(name)
      if (found) return this.guarded(found)
      const labels = envdLabels(
        this.instance,
        key === 'edge' ? 'envd:edge' : 'envd:network',
        key === 'edge' ? {} : { [ENVD_LABEL.uid]: String(key) },
      )
      try {
        await createPooledNetwork(this.docker, name, labels, {
          pool: this.pool,
          internal: key !== 'edge' && this.internal,
        })
      } catch (err) {
        if (!(await this.inspect(name))) throw err // 409: made meanwhile by an earlier instance of us
      }
      const made = await this.inspect(name)
      if (!made) throw new Error(`network ${name} vanished as it was created`)
      return this.guarded(made)
    })
  }

  /** Installs node isolation for every network of this instance (again, after a restart). */
  async guardAll(): Promise<void> {
    if (!this.firewall) return
    const found = await this.docker.listNetworks({
      filters: labelFilter({ [ENVD_LABEL.instance]: this.instance }),
    })
    for (const n of found) await this.guarded(n)
  }

  /** Uncounts `id`; the last user out removes the network. */
  release(key: Key, id: number): Promise<void> {
    return this.locks.run(key, async () => {
      const users = this.users.get(key)
      users?.delete(id)
      if (users?.size) return
      this.users.delete(key)
      await this.remove(this.name(key))
    })
  }

  /** Removes this instance's networks that no environment uses. */
  async sweep(): Promise<void> {
    const found = await this.docker.listNetworks({
      filters: labelFilter({ [ENVD_LABEL.instance]: this.instance }),
    })
    await Promise.all(
      found.map((n) => {
        const uid = n.Labels?.[ENVD_LABEL.uid]
        const key: Key = uid === undefined ? 'edge' : Number(uid)
        return this.locks.run(key, async () => {
          if (!this.users.get(key)?.size) await this.remove(n.Name)
        })
      }),
    )
    // Rules of networks gone while the service was down (or of a removal cut short).
    const inUse = new Set([...this.users].filter(([, ids]) => ids.size).map(([key]) => this.name(key)))
    await this.firewall?.sweep((name) => inUse.has(name))
  }

  private usersOf(key: Key): Set<number> {
    let set = this.users.get(key)
    if (!set) this.users.set(key, (set = new Set()))
    return set
  }

  private async guarded(
    info: Pick<Dockerode.NetworkInspectInfo, 'Name' | 'Id' | 'Options'>,
  ): Promise<string> {
    // The engine names a user network's bridge `br-<first 12 of its id>` unless told otherwise.
    const iface = info.Options?.['com.docker.network.bridge.name'] ?? `br-${info.Id.slice(0, 12)}`
    await this.firewall?.isolate({ name: info.Name, iface })
    return info.Name
  }

  private async inspect(name: string): Promise<Dockerode.NetworkInspectInfo | undefined> {
    try {
      return (await this.docker.getNetwork(name).inspect()) as Dockerode.NetworkInspectInfo
    } catch (err) {
      if (statusOf(err) === 404) return undefined
      throw err
    }
  }

  private async remove(name: string): Promise<void> {
    await removeNetwork(this.docker, name)
    await this.firewall?.release(name)
  }
}
