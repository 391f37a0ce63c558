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
  readonly mounts: readonly PlanMount[]
  readonly readOnly: boolean
  readonly init: boolean
  /** Added to the service's default set (already within the allowlist), and dropped from it. */
  readonly capAdd: readonly string[]
  readonly capDrop: readonly string[]
  readonly labels: Readonly<Record<string, string>>
}

export type PlanMount =
  /** The uid+challenge flag folder, read-only: the flag is `<target>/flag`. */
  | { readonly kind: 'flag'; readonly target: string }
  | { readonly kind: 'volume'; readonly volume: string; readonly target: string; readonly readOnly: boolean }
  | { readonly kind: 'tmpfs'; readonly target: string }
