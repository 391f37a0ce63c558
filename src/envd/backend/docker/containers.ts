import type Dockerode from 'dockerode'
import type { ComposePlan, PlanService } from '../../compose/plan'
import type { Hardening } from '../../options'
import { envdLabels, envLabels, names } from './labels'

/** What one environment's containers are made from, beyond the plan. */
export interface EnvContext {
  readonly instance: string
  readonly id: number
  readonly uid: number
  readonly challenge: number
  readonly plan: ComposePlan
  readonly network: string
  /** The engine volume mounted at flag volumes. */
  readonly flagVolume?: string
  /** The flag for FLAG variables and flag volumes (null: none, an empty flag). */
  readonly flag: string | null
  readonly hardening: Hardening
  readonly bindIp: string
}

/** Docker's own log driver, capped: a chatty challenge cannot fill the node's disk. */
const LOG_CONFIG = { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '2' } }

/**
 * Hardening every container gets: CPU, memory and pids limits, no-new-privileges, all
 * capabilities dropped but the default set (and what the compose file adds, within the
 * allowlist the policy enforced).
 */
export function hardened(
  h: Hardening,
  capAdd: readonly string[] = [],
  capDrop: readonly string[] = [],
): Dockerode.HostConfig {
  const dropped = new Set(capDrop)
  const add = dropped.has('ALL')
    ? capAdd
    : [...new Set([...h.capAdd, ...capAdd])].filter((c) => !dropped.has(c) || capAdd.includes(c))
  return {
    NanoCpus: h.nanoCpus,
    Memory: h.memoryBytes,
    MemorySwap: h.memoryBytes, // no swap beyond the limit
    PidsLimit: h.pids,
    SecurityOpt: ['no-new-privileges:true'],
    CapDrop: ['ALL'],
    CapAdd: add,
    LogConfig: LOG_CONFIG,
  }
}

/** The port binding of the one exposed port, matched by exact `port/proto`. */
export function portKey(plan: ComposePlan): string {
  return `${plan.exposed.port}/${plan.exposed.protocol}`
}

/** A service's container; `hostPort` when this container publishes the environment's port. */
export function serviceOptions(
  ctx: EnvContext,
  service: PlanService,
  hostPort: number | undefined,
): Dockerode.ContainerCreateOptions {
  const key = portKey(ctx.plan)
  const siblings = ctx.plan.services.filter((s) => s.name !== service.name)
  const mounts: Dockerode.MountSettings[] = service.mounts.flatMap((m): Dockerode.MountSettings[] => {
    if (m.kind === 'flag') {
      // NoCopy: an empty flag volume stays empty (not filled from the image's folder). The
      // typings want every field of VolumeOptions; the API takes any of them.
      const options = { NoCopy: true } as Dockerode.MountSettings['VolumeOptions']
      return ctx.flagVolume
        ? [
            {
              Type: 'volume',
              Source: ctx.flagVolume,
              Target: m.target,
              ReadOnly: true,
              VolumeOptions: options,
            },
          ]
        : []
    }
    if (m.kind === 'volume')
      return [
        {
          Type: 'volume',
          Source: names.volume(ctx.instance, ctx.id, m.volume),
          Target: m.target,
          ReadOnly: m.readOnly,
        },
      ]
    return [{ Type: 'tmpfs', Source: '', Target: m.target }]
  })
  return {
    name: names.container(ctx.instance, ctx.id, service.name),
    Image: service.image,
    Cmd: service.command ? [...service.command] : undefined,
    Entrypoint: service.entrypoint ? [...service.entrypoint] : undefined,
    Env: [...service.environment],
    WorkingDir: service.workingDir,
    User: service.user,
    Hostname: service.hostname ?? service.name,
    // The compose file's labels first: ours win.
    Labels: {
      ...service.labels,
      ...envdLabels(
        ctx.instance,
        `envd:service:${service.name}`,
        envLabels(ctx.id, ctx.uid, ctx.challenge, hostPort),
      ),
    },
    ExposedPorts: service.name === ctx.plan.exposed.service ? { [key]: {} } : undefined,
    HostConfig: {
      ...hardened(ctx.hardening, service.capAdd, service.capDrop),
      NetworkMode: ctx.network,
      PortBindings:
        hostPort === undefined ? undefined : { [key]: [{ HostIp: ctx.bindIp, HostPort: String(hostPort) }] },
      RestartPolicy: { Name: service.restart === 'no' ? '' : service.restart },
      Mounts: mounts,
      ReadonlyRootfs: service.readOnly,
      Init: service.init,
    },
    // Links on a user network are private aliases: `db` names this environment's db for this
    // container only, so two environments of one uid (one network) never answer for each other.
    NetworkingConfig: {
      EndpointsConfig: {
        [ctx.network]: {
          Links: siblings.map((s) => `${names.container(ctx.instance, ctx.id, s.name)}:${s.name}`),
        },
      },
    },
  }
}

/**
 * The forwarder of an egress-blocked environment: on the edge network, publishing the port and
 * relaying each connection to the target container's address on the (internal) uid network,
 * with busybox nc (one process per connection).
 */
export function proxyOptions(
  ctx: EnvContext,
  image: string,
  edge: string,
  targetIp: string,
  hostPort: number,
): Dockerode.ContainerCreateOptions {
  const key = portKey(ctx.plan)
  const port = String(ctx.plan.exposed.port)
  return {
    name: names.proxy(ctx.instance, ctx.id),
    Image: image,
    Cmd: ['nc', '-ll', '-p', port, '-e', 'nc', targetIp, port],
    Labels: envdLabels(ctx.instance, 'envd:proxy', envLabels(ctx.id, ctx.uid, ctx.challenge, hostPort)),
    ExposedPorts: { [key]: {} },
    HostConfig: {
      ...hardened(ctx.hardening, [], ['ALL']),
      NetworkMode: edge,
      PortBindings: { [key]: [{ HostIp: ctx.bindIp, HostPort: String(hostPort) }] },
      RestartPolicy: { Name: 'always' },
      ReadonlyRootfs: true,
    },
  }
}
