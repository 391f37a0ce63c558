import { setTimeout as sleep } from 'node:timers/promises'
import { DeployError, type Placement } from '../backend'
import { relayHolds, tcpAccepts } from '../docker/probe'
import type { SwarmNode } from './nodes'
import type { Snapshots } from './snapshots'
import { currentTask, failures, isRunning, missingImage, type SwarmTask } from './tasks'

/** Failed tasks of one service before the environment is an ERROR (the swarm would go on forever). */
const MAX_FAILURES = 3
/** How long a task may wait for a node (none suitable: all drained, down, or lacking resources). */
export const UNPLACEABLE_MS = 15_000

export interface WatchedService {
  readonly id: string
  /** The compose service's name, for reasons. */
  readonly name: string
  readonly exposed: boolean
  /** A forwarder: it accepts at once, so readiness is a connection it keeps (the target answered). */
  readonly relay?: boolean
}

export interface WatchOptions {
  readonly snapshots: Snapshots
  readonly port: number
  readonly protocol: 'tcp' | 'udp'
  readonly deadline: number
  readonly signal: AbortSignal
  readonly redact: (text: string) => string
  readonly placed: (p: Placement) => Promise<void>
}

/**
 * Follows an environment's tasks until it is ready: every service has a running task, and the
 * exposed port accepts TCP on the node that runs it. Says where the exposed task went as soon as
 * it has a node (and again if it moves). Ends early, with the reason, when waiting is pointless:
 * a node lacks an image, a service keeps failing, or no node will take a task.
 */
export async function watchDeploy(services: readonly WatchedService[], o: WatchOptions): Promise<Placement> {
  let where: Placement | undefined
  const pendingSince = new Map<string, number>()
  for (let delay = 100; ; delay = Math.min(delay * 2, 400)) {
    o.signal.throwIfAborted()
    const { tasks, nodes } = await o.snapshots.of(services.map((s) => s.id))
    for (const s of services) {
      const why = whyFailing(s, tasks.get(s.id) ?? [], nodes, pendingSince)
      if (why) throw new DeployError(o.redact(why))
    }
    const exposed = services.find((s) => s.exposed)!
    const task = currentTask(tasks.get(exposed.id) ?? [])
    const node = task?.NodeID ? nodes.get(task.NodeID) : undefined
    if (node?.address && (where?.nodeIp !== node.address || where.nodePort !== o.port)) {
      where = { nodeIp: node.address, nodePort: o.port }
      await o.placed(where)
    }
    const running = services.every((s) => isRunning(currentTask(tasks.get(s.id) ?? [])))
    if (
      where &&
      running &&
      (o.protocol === 'udp' ||
        (exposed.relay
          ? await relayHolds(where.nodeIp, where.nodePort)
          : await tcpAccepts(where.nodeIp, where.nodePort, 1000)))
    ) {
      return where
    }
    if (Date.now() >= o.deadline) {
      const state = task ? `${task.Status.State}${task.Status.Err ? `: ${task.Status.Err}` : ''}` : 'no task'
      throw new DeployError(
        where
          ? `port ${o.port}/${o.protocol} on ${where.nodeIp} was not ready in time (task ${state})`
          : `service ${exposed.name} got no node in time (task ${state})`,
      )
    }
    await sleep(delay, undefined, { signal: o.signal })
  }
}

function whyFailing(
  s: WatchedService,
  tasks: readonly SwarmTask[],
  nodes: ReadonlyMap<string, SwarmNode>,
  pendingSince: Map<string, number>,
): string | undefined {
  const failed = failures(tasks)
  const nodeOf = (t: SwarmTask) => {
    const n = t.NodeID ? nodes.get(t.NodeID) : undefined
    return n ? `node ${n.name} (${n.address})` : 'its node'
  }
  const noImage = failed.find(missingImage)
  if (noImage) {
    const image = noImage.Spec.ContainerSpec?.Image ?? 'its image'
    const where = nodeOf(noImage)
    return `service ${s.name}: image ${image} is not on ${where} (every node needs it; nodes do not pull)`
  }
  if (failed.length >= MAX_FAILURES) {
    const t = failed[0]
    const why = t.Status.Err ?? t.Status.State
    return `service ${s.name} failed ${failed.length} times on ${nodeOf(t)}: ${why}`
  }
  return unplaced(s.name, tasks, pendingSince)
}

/** States of a task the swarm has not given a node yet (`new` and `allocated`: its network is not allocated). */
const UNPLACED = new Set(['new', 'allocated', 'pending'])

/**
 * Why a service is hopeless: its task has had no node for UNPLACEABLE_MS (every node drained,
 * down or too small, or a network the swarm never allocated), or it has had no task to run for as
 * long (the last one ended, on a node drained or lost, and the restart policy does not replace
 * it). `since` remembers, per task, when it was first seen so.
 */
export function unplaced(
  service: string,
  tasks: readonly SwarmTask[],
  since: Map<string, number>,
): string | undefined {
  const task = currentTask(tasks)
  const last = tasks[0]
  const stuck = task ? !task.NodeID && UNPLACED.has(task.Status.State) : last !== undefined
  const key = task ?? last
  if (!stuck || !key) return undefined
  const first = since.get(key.ID) ?? Date.now()
  since.set(key.ID, first)
  if (Date.now() - first <= UNPLACEABLE_MS) return undefined
  if (!task) {
    const why = last.Status.Err ?? ''
    return (
      `service ${service} has no task left to run: the last one is ${last.Status.State}` +
      `${why ? ` (${why})` : ''}, and its restart policy does not replace it`
    )
  }
  const why =
    task.Status.Err ??
    (task.Status.State === 'pending' ? 'no suitable node' : `the swarm left it ${task.Status.State}`)
  return `service ${service} cannot be placed on any node: ${why}`
}
