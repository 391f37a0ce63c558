import { LABEL } from '../../src/docker/labels'
import type { Ferret } from './ferret'
import { sleep, type LabEngine } from './lab-engine'
import type { Random } from './random'

export type FaultKind = 'kill' | 'network' | 'engine' | 'store'
export const FAULT_KINDS: readonly FaultKind[] = ['kill', 'network', 'engine', 'store']

/** Injects R1's faults from outside levrt: what an operator, the OOM killer or a crash would do. */
export class Faults {
  readonly counts = new Map<FaultKind, number>()
  /** Lab engines that had to be started twice (a dockerd problem, not levrt's): said in the notes. */
  retries = 0

  constructor(
    private readonly lab: LabEngine,
    private readonly ferret: Ferret,
    private readonly random: Random,
    private readonly log: (line: string) => void,
  ) {}

  async inject(kind: FaultKind): Promise<void> {
    const done = await this[kind]()
    if (done) this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1)
  }

  /** `3 kill, 1 network, ...`. */
  summary(): string {
    const names = {
      kill: 'container kills',
      network: 'network removals',
      engine: 'engine restarts',
      store: 'store restarts',
    }
    return FAULT_KINDS.map((k) => `${this.counts.get(k) ?? 0} ${names[k]}`).join(', ')
  }

  /** A run's container (main or sidecar) killed and removed, as `docker rm -f` does. */
  private async kill(): Promise<boolean> {
    const containers = await this.lab.docker
      .listContainers({ filters: JSON.stringify({ label: [LABEL.run] }) })
      .catch(() => [])
    const ours = containers.filter((c) => c.Labels[LABEL.role] !== 'reaper')
    if (!ours.length) return false
    const victim = this.random.pick(ours)
    await this.lab.docker
      .getContainer(victim.Id)
      .remove({ force: true })
      .catch(() => undefined)
    this.log(`killed and removed ${victim.Names[0]} (${victim.Labels[LABEL.role]})`)
    return true
  }

  /** A run's network removed under it (its containers disconnected first, or the engine refuses). */
  private async network(): Promise<boolean> {
    const networks = await this.lab.docker
      .listNetworks({ filters: JSON.stringify({ label: [LABEL.run] }) })
      .catch(() => [])
    if (!networks.length) return false
    const victim = this.random.pick(networks)
    const network = this.lab.docker.getNetwork(victim.Id)
    const info = (await network.inspect().catch(() => ({}))) as { Containers?: Record<string, unknown> }
    await Promise.all(
      Object.keys(info.Containers ?? {}).map((c) =>
        network.disconnect({ Container: c, Force: true }).catch(() => undefined),
      ),
    )
    await network.remove().catch(() => undefined)
    this.log(`removed network ${victim.Name}`)
    return true
  }

  /** dockerd SIGTERM, down 1-4 s, started again. */
  private async engine(): Promise<boolean> {
    const down = this.random.int(1000, 4000)
    this.log(`engine stopped for ${down} ms`)
    await this.lab.stop()
    await sleep(down)
    await this.lab.start((why) => {
      this.retries++
      this.log(`the lab engine did not start; stopped and started again: ${why}`)
    })
    this.log('engine back')
    return true
  }

  /** The MongoDB-compatible server killed, down 1-5 s, started again. */
  private async store(): Promise<boolean> {
    const down = this.random.int(1000, 5000)
    this.log(`store stopped for ${down} ms`)
    await this.ferret.stop()
    await sleep(down)
    await this.ferret.up()
    this.log('store back')
    return true
  }
}
