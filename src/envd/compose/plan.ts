import type { Piece } from './interpolate'

/**
 * What a checked compose file asks for, in the terms a backend deploys: everything here has
 * passed the policy, so a backend never sees a host path, a privileged flag or a host port.
 */
export interface ComposePlan {
  /** In start order: each after those it depends on. */
  readonly services: readonly PlanService[]
  /** The one port players reach: on which service, and its exact port/protocol. */
  readonly exposed: ExposedPort
  /** Named volumes of the file that are not flag volumes: one engine volume each per environment. */
  readonly volumes: readonly string[]
}

export interface ExposedPort {
  readonly service: string
  readonly port: number
  readonly protocol: 'tcp' | 'udp'
}

export type RestartPolicy = 'no' | 'always' | 'on-failure' | 'unless-stopped'

export interface PlanService {
  readonly name: string
  readonly image: string
  readonly command?: readonly string[]
  readonly entrypoint?: readonly string[]
  /** `KEY=value` lines. */
  readonly environment: readonly string[]
  readonly workingDir?: string
  readonly user?: string
  readonly hostname?: string
  readonly restart: RestartPolicy
  /** `on-failure:N`: at most N restarts. */
  readonly restartRetries?: number
  readonly mounts: readonly PlanMount[]
  readonly readOnly: boolean
  readonly init: boolean
  /** Added to the service's default set (already within the allowlist), and dropped from it. */
  readonly capAdd: readonly string[]
  readonly capDrop: readonly string[]
  readonly labels: Readonly<Record<string, string>>
  /** Variables that hold the create's flag (`FLAG=${FLAG}`): filled in at deploy, never in `environment`. */
  readonly flagEnvironment: readonly FlagVariable[]
  readonly tty: boolean
  readonly stdinOpen: boolean
  readonly stopGraceSeconds?: number
  readonly stopSignal?: string
  /** The file's healthcheck; without one, the image's own (if any) still gates CREATED. */
  readonly healthcheck?: PlanHealthcheck
  /** What must hold of each dependency before this service starts. */
  readonly dependsOn: readonly PlanDependency[]
  /** What the file asks for; the backend holds each to the service's cap (the lower wins). */
  readonly limits: RequestedLimits
}

export interface FlagVariable {
  readonly name: string
  readonly value: readonly Piece[]
}

export interface PlanHealthcheck {
  /** Docker's form: ['CMD', ...], ['CMD-SHELL', '...'] or ['NONE']. */
  readonly test?: readonly string[]
  readonly intervalMs?: number
  readonly timeoutMs?: number
  readonly startPeriodMs?: number
  readonly retries?: number
}

export type Condition = 'service_started' | 'service_healthy' | 'service_completed_successfully'

export interface PlanDependency {
  readonly service: string
  readonly condition: Condition
}

export interface Ulimit {
  readonly name: string
  readonly soft: number
  readonly hard: number
}

export interface RequestedLimits {
  readonly nanoCpus?: number
  readonly memoryBytes?: number
  readonly pids?: number
  readonly shmBytes?: number
  readonly ulimits: readonly Ulimit[]
}

export type PlanMount =
  /** The uid+challenge flag folder, read-only: the flag is `<target>/flag`. */
  | { readonly kind: 'flag'; readonly target: string }
  | { readonly kind: 'volume'; readonly volume: string; readonly target: string; readonly readOnly: boolean }
  | { readonly kind: 'tmpfs'; readonly target: string }

/** Whether the plan has a place for the flag: a flag volume or a flag variable. */
export function hasFlagPlace(plan: ComposePlan): boolean {
  return plan.services.some((s) => s.flagEnvironment.length > 0 || s.mounts.some((m) => m.kind === 'flag'))
}
