import type { ComposePlan } from '../compose/plan'

/**
 * Where environments run. Kept this narrow on purpose: today one Docker engine through
 * dockerode; a Docker Swarm backend (several nodes, a `node_ip` each) must fit it, so nothing
 * here assumes one engine or that the engine shares our disk.
 */
export interface EnvBackend {
  /** Learns what already runs (ports, networks): call once before anything else. */
  start(): Promise<void>
  /**
   * Deploys an environment and resolves once its port accepts connections. `placed` is called
   * as soon as a node and a port are chosen (and again if they change, e.g. a port the host
   * already used). On failure or abort everything it made is removed before it rejects.
   */
  deploy(
    request: DeployRequest,
    placed: (placement: Placement) => Promise<void>,
    signal: AbortSignal,
  ): Promise<Placement>
  /** Whether every container of a deployed environment is running. */
  healthy(id: number): Promise<boolean>
  /** Removes everything of an environment; one already gone is fine. */
  destroy(id: number): Promise<void>
  /** Removes every object of this service whose environment `keep` does not claim. */
  sweep(keep: (id: number) => boolean): Promise<SweepResult>
  /** Whether the engine (or the swarm's manager) answers. */
  ping(): Promise<boolean>
  /** Stops what the backend runs for itself once no environment needs it (environments stay). */
  close?(): Promise<void>
  /**
   * For backends whose environments can move after they are deployed (a swarm re-placing a task
   * on another node): reports where a deployed environment runs now whenever that changes
   * (`where` null while it has no node, `ready` once its port answers there), or that it can no
   * longer run anywhere (`failed`, with the reason). Returns how to stop.
   */
  follow?(report: (id: number, event: FollowEvent) => void): () => void
}

export interface DeployRequest {
  readonly id: number
  readonly uid: number
  readonly challenge: number
  readonly plan: ComposePlan
  /**
   * The flag to place in the environment's flag volumes. `null`: none (the volumes are mounted
   * empty). Undefined: keep what the uid+challenge flag file already holds (a resumed deploy).
   */
  readonly flag?: string | null
}

/** What became of a deployed environment that moved. */
export type FollowEvent =
  | { readonly kind: 'moved'; readonly where: Placement | null; readonly ready: boolean }
  | { readonly kind: 'failed'; readonly reason: string }

export interface Placement {
  readonly nodeIp: string
  readonly nodePort: number
}

export interface SweepResult {
  /** Environment ids whose objects were removed. */
  readonly removed: readonly number[]
}

/** A deploy that failed for a reason worth telling the operator (the message says it). */
export class DeployError extends Error {
  override readonly name = 'DeployError'
}
