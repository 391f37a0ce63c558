import type Dockerode from 'dockerode'
import { listNodes, type SwarmNode } from './nodes'
import { tasksOf, type SwarmTask } from './tasks'

export interface Snapshot {
  readonly tasks: ReadonlyMap<string, SwarmTask[]>
  readonly nodes: ReadonlyMap<string, SwarmNode>
}

/** How long requests gather before one pair of manager calls answers them all. */
const GATHER_MS = 50

/**
 * The manager's view of some services' tasks and of the nodes, shared: every deploy in flight
 * asks for its services, and those asking within the same few milliseconds get one answer from
 * two manager calls, so a hundred deploys at once do not poll the manager a hundred times over.
 */
export class Snapshots {
  private batch: { ids: Set<string>; result: Promise<Snapshot> } | undefined

  constructor(private readonly docker: Dockerode) {}

  of(serviceIds: readonly string[]): Promise<Snapshot> {
    if (!this.batch) {
      const ids = new Set<string>()
      const result = new Promise<Snapshot>((resolve, reject) =>
        setTimeout(() => {
          this.batch = undefined
          this.fetch([...ids]).then(resolve, reject)
        }, GATHER_MS),
      )
      this.batch = { ids, result }
    }
    for (const id of serviceIds) this.batch.ids.add(id)
    return this.batch.result
  }

  private async fetch(ids: readonly string[]): Promise<Snapshot> {
    const [tasks, nodes] = await Promise.all([tasksOf(this.docker, ids), listNodes(this.docker)])
    return { tasks, nodes: new Map(nodes.map((n) => [n.id, n])) }
  }
}
