import type { Container, Network } from '../engine/engine'
import { isGone } from '../docker/status'
import { describe, OptionsError } from '../errors'

/**
 * What one run has created on the engine: its containers, its network and the other runs'
 * containers linked into it. `teardown()` removes them in the order the engine needs.
 */
export class RunObjects {
  private readonly containers: Container[] = []
  private readonly linked: string[] = []
  network: Network | undefined

  constructor(private readonly runId: string) {}

  addContainer(container: Container): void {
    this.containers.push(container)
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
      if (!isGone(err)) throw err
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
    const containers = this.containers.splice(0)
    const results = await Promise.allSettled(containers.map((c) => c.remove()))
    const network = this.network
    this.network = undefined
    if (network) {
      results.push(
        ...(await Promise.allSettled(this.linked.splice(0).map((host) => network.disconnect(host)))),
      )
      results.push(...(await Promise.allSettled([network.remove()])))
    }
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failures.length) {
      process.emitWarning(
        `levrt: run ${this.runId} could not remove everything it created (\`npx levrt gc\` will): ${describe(failures[0].reason)}`,
      )
    }
  }
}
