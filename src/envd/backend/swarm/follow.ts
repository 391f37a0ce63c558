import type Dockerode from 'dockerode'
import type { FollowEvent, Placement } from '../backend'
import { ENVD_LABEL } from '../docker/labels'
import { tcpAccepts } from '../docker/probe'
import { SERVICE_LABEL } from './names'
import { listNodes } from './nodes'
import { currentTask, isRunning, tasksOf } from './tasks'
import { unplaced } from './watch'

/** How often deployed environments are checked for a task the swarm moved. */
export const FOLLOW_MS = 1000

export type Report = (id: number, event: FollowEvent) => void

/**
 * Watches the exposed service of every deployed environment: when the swarm re-places its task
 * (a node drained or gone), reports the new node (null while there is none) and, once the port
 * answers there, ready. A port already seen ready on an unchanged node is not probed again. A
 * task that gets no node in bounded time (as at deploy) is reported failed, with the swarm's reason.
 */
export class PlacementFollower {
  private readonly last = new Map<number, string>()
  /** Task id -> when it was first seen without a node. */
  private readonly unplacedSince = new Map<string, number>()
  private readonly failed = new Set<number>()
  private timer: NodeJS.Timeout | undefined
  private stopped = false

  constructor(
    private readonly docker: Dockerode,
    private readonly services: () => Promise<Dockerode.Service[]>,
    /** Environments being deployed (their deploy reports for them) are skipped. */
    private readonly skip: (id: number) => boolean,
  ) {}

  /** What a deploy found: the starting point, so an unmoved environment is not reported. */
  settled(id: number, where: Placement): void {
    this.last.set(id, `${where.nodeIp}|true`)
  }

  forget(id: number): void {
    this.last.delete(id)
    this.failed.delete(id)
  }

  start(report: Report): () => void {
    const tick = async () => {
      await this.check(report).catch(() => undefined) // a manager that does not answer: next tick
      if (!this.stopped) this.timer = setTimeout(() => void tick(), FOLLOW_MS).unref()
    }
    this.timer = setTimeout(() => void tick(), FOLLOW_MS).unref()
    return () => {
      this.stopped = true
      clearTimeout(this.timer)
    }
  }

  private async check(report: Report): Promise<void> {
    const exposed = (await this.services()).filter((s) => {
      const id = Number(s.Spec?.Labels?.[ENVD_LABEL.env])
      return s.Spec?.Labels?.[ENVD_LABEL.port] !== undefined && !this.skip(id) && !this.failed.has(id)
    })
    if (!exposed.length) return
    const [tasks, nodes] = await Promise.all([
      tasksOf(
        this.docker,
        exposed.map((s) => s.ID),
      ),
      listNodes(this.docker),
    ])
    const byId = new Map(nodes.map((n) => [n.id, n]))
    const seen = new Set([...tasks.values()].flat().map((t) => t.ID))
    for (const t of this.unplacedSince.keys()) if (!seen.has(t)) this.unplacedSince.delete(t)
    for (const s of exposed) {
      const labels = s.Spec!.Labels!
      const id = Number(labels[ENVD_LABEL.env])
      const port = Number(labels[ENVD_LABEL.port])
      const task = currentTask(tasks.get(s.ID) ?? [])
      const hopeless = unplaced(
        labels[SERVICE_LABEL] ?? s.Spec?.Name ?? s.ID,
        tasks.get(s.ID) ?? [],
        this.unplacedSince,
      )
      if (hopeless && !this.skip(id)) {
        this.failed.add(id)
        report(id, { kind: 'failed', reason: hopeless })
        continue
      }
      const node = task?.NodeID ? byId.get(task.NodeID) : undefined
      const address = node?.address || null
      const before = this.last.get(id)
      const wasReady = before === `${address}|true`
      const ready =
        address !== null && isRunning(task) && (wasReady || (await tcpAccepts(address, port, 500)))
      const now = `${address}|${ready}`
      if (now === before || this.skip(id)) continue
      this.last.set(id, now)
      const where = address === null ? null : { nodeIp: address, nodePort: port }
      report(id, { kind: 'moved', where, ready })
    }
  }
}
