import type { Container, Engine, LabelledObject, Network } from '../engine/engine'
import { engineAway, type Removal } from '../engine/health'
import { isGone } from '../docker/status'
import { describe, EngineUnavailableError, NetworkError, OptionsError } from '../errors'

/** Hands a removal the engine could not do while away to the context (see engine/health). */
export type Owe = (removal: Removal, cause: unknown | undefined) => void

/**
 * What one run has created on the engine: its containers, its network and the other runs'
 * containers linked into it. `teardown()` removes them in the order the engine needs; what
 * fails because the engine is away is owed to it, and removed as soon as it answers again.
 */
export class RunObjects {
  private readonly containers: Container[] = []
  private readonly linked: string[] = []
  /** Objects whose create call was cut off by the engine going away: they may exist, by name. */
  private readonly uncertain: LabelledObject[] = []
  network: Network | undefined

  constructor(
    private readonly runId: string,
    private readonly engine?: Engine,
    private readonly owe?: Owe,
  ) {}

  addContainer(container: Container): void {
    this.containers.push(container)
  }

  /** A create of this name failed with the engine unreachable: it may have happened all the same. */
  addUncertain(kind: 'container' | 'network', name: string): void {
    this.uncertain.push({ kind, id: name, labels: {} })
  }

  /**
   * Connects another run's container into this run's network under its aliases (one endpoint
   * per container: the engine refuses a second one). A container that is not there is the
   * user's link option at fault, and said so.
   */
  async link(host: string, aliases: readonly string[]): Promise<void> {
    if (!this.network) throw new Error('a run links only into its own network')
    try {
      await this.network.connect(host, aliases)
    } catch (err) {
      if (err instanceof EngineUnavailableError) throw err
      if (!isGone(err))
        throw new NetworkError(this.network.name, `could not connect ${host} to it: ${describe(err)}`, err)
      const option = `links.${aliases[0]}`
      throw new OptionsError(
        option,
        `${host} is not a running container: link the host of a task that is running (task.host)`,
      )
    }
    this.linked.push(host)
  }

  /** Containers first, then linked containers are disconnected and the network goes; safe to repeat. */
  async teardown(): Promise<void> {
    const uncertain = this.uncertain.splice(0)
    const containers: Removal[] = [
      ...this.containers.splice(0).map((c) => () => c.remove()),
      ...uncertain.filter((o) => o.kind === 'container').map((o) => () => this.removeObject(o)),
    ]
    const networks: Removal[] = uncertain
      .filter((o) => o.kind === 'network')
      .map((o) => () => this.removeObject(o))
    const network = this.network
    this.network = undefined
    const linked = this.linked.splice(0)
    if (network) {
      networks.push(async () => {
        await Promise.all(linked.map((host) => network.disconnect(host)))
        await network.remove()
      })
    }
    const first = await settle(containers)
    // A network goes after its containers: while one of them is left, so is the network.
    const second = first.failed.length ? { failed: networks, reasons: [] } : await settle(networks)
    const reasons = [...first.reasons, ...second.reasons]
    if (!reasons.length) return
    const away = reasons.map(engineAway).find((e) => e !== undefined)
    if (this.owe) {
      // Removing again what is already gone succeeds (404): the whole rest is retried in order.
      const [left, leftNetworks] = [first.failed, second.failed]
      this.owe(async () => {
        await settle(left).then(throwFirst)
        await settle(leftNetworks).then(throwFirst)
      }, away)
      // Refused otherwise: warned of once, and tried again a few times all the same.
      if (!away) warn(this.runId, reasons[0])
      return
    }
    warn(this.runId, reasons[0])
  }

  private async removeObject(object: LabelledObject): Promise<void> {
    await this.engine?.removeObject(object)
  }
}

/** Runs removals side by side; which failed, and why. */
async function settle(removals: readonly Removal[]): Promise<{ failed: Removal[]; reasons: unknown[] }> {
  const results = await Promise.allSettled(removals.map((removal) => removal()))
  const failed: Removal[] = []
  const reasons: unknown[] = []
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') return
    failed.push(removals[i])
    reasons.push(result.reason)
  })
  return { failed, reasons }
}

function throwFirst({ reasons }: { reasons: unknown[] }): void {
  if (reasons.length) throw reasons[0]
}

function warn(runId: string, reason: unknown): void {
  process.emitWarning(
    `levrt: run ${runId} could not remove everything it created (\`npx levrt gc\` will): ${describe(reason)}`,
  )
}
