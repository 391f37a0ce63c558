import type { Hardening } from '../options'
import { appliedLimits, type AppliedLimits } from './limits'
import type { ComposePlan } from './plan'

/** What an accepted compose file would run, as `levrt envd check` reports it (no flag value in it). */
export interface PlanSummary {
  readonly exposed: string
  readonly services: readonly ServiceSummary[]
  /** Where the flag goes: `service:/path` flag volumes and `service $NAME` variables (empty: nowhere). */
  readonly flag: readonly string[]
  readonly volumes: readonly string[]
}

export interface ServiceSummary {
  readonly name: string
  readonly image: string
  readonly waitsFor: readonly string[]
  readonly healthcheck: boolean
  readonly limits: AppliedLimits
}

export function summarize(plan: ComposePlan, caps: Hardening): PlanSummary {
  return {
    exposed: `${plan.exposed.service} ${plan.exposed.port}/${plan.exposed.protocol}`,
    services: plan.services.map((s) => ({
      name: s.name,
      image: s.image,
      waitsFor: s.dependsOn.map((d) => `${d.service} (${d.condition})`),
      healthcheck: s.healthcheck !== undefined && s.healthcheck.test?.[0] !== 'NONE',
      limits: appliedLimits(s.limits, caps),
    })),
    flag: plan.services.flatMap((s) => [
      ...s.mounts.flatMap((m) => (m.kind === 'flag' ? [`${s.name}:${m.target}/flag (flag volume)`] : [])),
      ...s.flagEnvironment.map((v) => `${s.name} $${v.name} (environment variable)`),
    ]),
    volumes: plan.volumes,
  }
}

/** Limits as a person reads them: `cpus 0.25, memory 32m, pids 50, shm 32m, nofile 1024:2048`. */
export function limitsText(l: AppliedLimits): string {
  const mib = (b: number) => (b % 1024 ** 2 === 0 ? `${b / 1024 ** 2}m` : `${b}b`)
  return [
    `cpus ${l.nanoCpus / 1e9}`,
    `memory ${mib(l.memoryBytes)}`,
    `pids ${l.pids}`,
    ...(l.shmBytes === undefined ? [] : [`shm ${mib(l.shmBytes)}`]),
    ...l.ulimits.map((u) => `${u.name} ${u.soft}:${u.hard}`),
  ].join(', ')
}
