import type Dockerode from 'dockerode'
import type { ComposePlan, PlanService, RestartPolicy } from '../../compose/plan'
import { render } from '../../compose/interpolate'
import type { Hardening } from '../../options'
import { hardened } from '../docker/containers'
import { SERVICE_LABEL, swarmLabels, swarmNames } from './names'

/** What one environment's services are made from, beyond the plan. */
export interface SwarmEnvContext {
  readonly instance: string
  readonly id: number
  readonly uid: number
  readonly challenge: number
  readonly plan: ComposePlan
  readonly network: string
  /** The flag's secret (id and name); none: flag volumes are mounted empty. */
  readonly secret?: { readonly id: string; readonly name: string }
  /** The flag for FLAG variables (null: none, they get the file's fallback). */
  readonly flag: string | null
  readonly hardening: Hardening
  readonly port: number
  /** With --block-egress: the edge overlay, where a forwarder publishes the port (the services do not). */
  readonly edge?: string
}

/** Compose's restart policies in the swarm's words: a task is never restarted in place, only replaced. */
const RESTART: Record<RestartPolicy, string> = {
  no: 'none',
  'on-failure': 'on-failure',
  always: 'any',
  'unless-stopped': 'any',
}

/**
 * The swarm service of one compose service: one replica, the environment's labels, the
 * hardening the service API has (limits, pids, capabilities, read-only, init; no-new-privileges
 * is the daemon's `--no-new-privileges` on this engine version), on the uid's overlay with a
 * DNS round-robin endpoint (no virtual IP: no IPVS needed), the exposed port published in host
 * mode, i.e. on the node that runs the task and only there.
 */
export function serviceSpec(ctx: SwarmEnvContext, index: number): Dockerode.CreateServiceOptions {
  const service = ctx.plan.services[index]
  const exposed = service.name === ctx.plan.exposed.service && !ctx.edge
  const labels = swarmLabels(ctx.instance, `envd:service:${service.name}`, {
    id: ctx.id,
    uid: ctx.uid,
    challenge: ctx.challenge,
    port: exposed ? ctx.port : undefined,
  })
  const domain = swarmNames.domain(ctx.instance, ctx.id)
  const caps = hardened(ctx.hardening, service.capAdd, service.capDrop)
  return {
    Name: swarmNames.service(ctx.instance, ctx.id, index),
    Labels: { ...labels, [SERVICE_LABEL]: service.name },
    Mode: { Replicated: { Replicas: 1 } },
    TaskTemplate: {
      ContainerSpec: {
        Image: service.image,
        // The compose file's labels first: ours win.
        Labels: { ...service.labels, ...labels },
        Command: service.entrypoint ? [...service.entrypoint] : undefined,
        Args: service.command ? [...service.command] : undefined,
        // The flag filled in at the last moment, as on one engine: in the task's environment only.
        Env: [
          ...service.environment,
          ...service.flagEnvironment.map((v) => `${v.name}=${render(v.value, ctx.flag)}`),
        ],
        Dir: service.workingDir,
        User: service.user,
        Hostname: service.hostname ?? service.name,
        ReadOnly: service.readOnly,
        Init: service.init,
        CapabilityDrop: caps.CapDrop,
        CapabilityAdd: caps.CapAdd,
        Mounts: mounts(service, ctx.secret !== undefined),
        Secrets: secrets(ctx, service),
        DNSConfig: { Search: [domain], Options: ['ndots:1'] },
      },
      Resources: {
        Limits: {
          NanoCPUs: ctx.hardening.nanoCpus,
          MemoryBytes: ctx.hardening.memoryBytes,
          Pids: ctx.hardening.pids,
        },
      },
      RestartPolicy: { Condition: RESTART[service.restart], Delay: 1e9, MaxAttempts: 0 },
      Networks: [{ Target: ctx.network, Aliases: [`${service.name}.${domain}`] }],
      LogDriver: { Name: 'json-file', Options: { 'max-size': '1m', 'max-file': '2' } },
    },
    EndpointSpec: {
      Mode: 'dnsrr',
      Ports: exposed
        ? [
            {
              Protocol: ctx.plan.exposed.protocol,
              TargetPort: ctx.plan.exposed.port,
              PublishedPort: ctx.port,
              PublishMode: 'host',
            },
          ]
        : [],
    },
  }
}

/**
 * A named volume is node-local, and a task may move to another node: each task gets a volume
 * of its own (anonymous, so the node removes it with the task's container, and nothing of ours
 * stays on a worker the manager's API cannot clean).
 */
function mounts(service: PlanService, hasFlag: boolean): Dockerode.MountSettings[] {
  return service.mounts.flatMap((m): Dockerode.MountSettings[] => {
    if (m.kind === 'volume') return [{ Type: 'volume', Source: '', Target: m.target, ReadOnly: m.readOnly }]
    // No flag: the flag volume is there, empty, as on one engine.
    if (m.kind === 'tmpfs' || !hasFlag) return [{ Type: 'tmpfs', Source: '', Target: m.target }]
    return []
  })
}

/** The flag reaches every node through the swarm's own secret store, as `<flag volume>/flag`. */
function secrets(ctx: SwarmEnvContext, service: PlanService): Dockerode.SecretReference[] {
  const secret = ctx.secret
  if (!secret) return []
  return service.mounts
    .filter((m) => m.kind === 'flag')
    .map((m) => ({
      SecretID: secret.id,
      SecretName: secret.name,
      File: { Name: `${m.target}/flag`, UID: '0', GID: '0', Mode: 0o444 },
    }))
}

/** The named volumes more than one service mounts: on a swarm they could not be one volume. */
export function sharedVolumes(plan: ComposePlan): string[] {
  const users = new Map<string, number>()
  for (const s of plan.services)
    for (const m of s.mounts) if (m.kind === 'volume') users.set(m.volume, (users.get(m.volume) ?? 0) + 1)
  return [...users].filter(([, n]) => n > 1).map(([v]) => v)
}

/**
 * The forwarder of an egress-blocked environment (its uid overlay is internal: no gateway, so no
 * port can be published from it): on the edge overlay and the uid's, publishing the port in host
 * mode and relaying each connection, with busybox nc, to the exposed service by its alias (so it
 * follows that task wherever the swarm puts it).
 */
export function proxySpec(ctx: SwarmEnvContext, image: string): Dockerode.CreateServiceOptions {
  const labels = swarmLabels(ctx.instance, 'envd:proxy', {
    id: ctx.id,
    uid: ctx.uid,
    challenge: ctx.challenge,
    port: ctx.port,
  })
  const port = String(ctx.plan.exposed.port)
  const target = `${ctx.plan.exposed.service}.${swarmNames.domain(ctx.instance, ctx.id)}`
  const caps = hardened(ctx.hardening, [], ['ALL'])
  return {
    Name: swarmNames.proxy(ctx.instance, ctx.id),
    Labels: { ...labels, [SERVICE_LABEL]: 'proxy' },
    Mode: { Replicated: { Replicas: 1 } },
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        Labels: labels,
        Command: ['nc', '-ll', '-p', port, '-e', 'nc', target, port],
        ReadOnly: true,
        CapabilityDrop: caps.CapDrop,
        CapabilityAdd: caps.CapAdd,
      },
      Resources: { Limits: { NanoCPUs: ctx.hardening.nanoCpus, MemoryBytes: ctx.hardening.memoryBytes } },
      RestartPolicy: { Condition: 'any', Delay: 1e9, MaxAttempts: 0 },
      Networks: [{ Target: ctx.edge! }, { Target: ctx.network }],
      LogDriver: { Name: 'json-file', Options: { 'max-size': '1m', 'max-file': '2' } },
    },
    EndpointSpec: {
      Mode: 'dnsrr',
      Ports: [
        {
          Protocol: ctx.plan.exposed.protocol,
          TargetPort: ctx.plan.exposed.port,
          PublishedPort: ctx.port,
          PublishMode: 'host',
        },
      ],
    },
  }
}
