import type Dockerode from 'dockerode'
import { LABEL } from '../../../docker/labels'
import type { SubnetPool } from '../../../docker/subnets'
import type { Logger } from '../../log'
import type { Hardening } from '../../options'
import { hasFlagPlace } from '../../compose/plan'
import { ignoreGone, pingEngine } from '../common'
import type { DeployRequest, EnvBackend, Placement, SweepResult } from '../backend'
import type { EnvContext } from './containers'
import { deployContainers } from './deploy'
import type { NodeFirewall } from './firewall'
import { createFlagVolume } from './flag-volume'
import { FlagFiles } from './flags'
import { ENVD_LABEL, envdLabels, envLabels, labelFilter, names } from './labels'
import { UidNetworks } from './networks'
import { PortAllocator } from './ports'

export interface DockerBackendConfig {
  readonly instance: string
  readonly dataDir: string
  readonly nodeIp: string
  readonly bindIp: string
  readonly ports: { readonly first: number; readonly last: number }
  readonly pool: SubnetPool
  readonly blockEgress: boolean
  readonly proxyImage: string
  readonly hardening: Hardening
  readonly readyTimeoutMs: number
  /** The engine runs on this host (a unix socket): container addresses are reachable, host paths mountable. */
  readonly local: boolean
}

interface Deployment {
  readonly uid: number
  readonly challenge: number
  readonly egress: boolean
}

/** Environments on one Docker engine, through dockerode. */
export class DockerBackend implements EnvBackend {
  private readonly deployments = new Map<number, Deployment>()
  private readonly ports: PortAllocator
  private readonly networks: UidNetworks
  private readonly flags: FlagFiles

  constructor(
    private readonly docker: Dockerode,
    private readonly config: DockerBackendConfig,
    private readonly log: Logger,
    /** Node isolation (none: `--no-node-isolation`). */
    private readonly firewall?: NodeFirewall,
  ) {
    this.ports = new PortAllocator(config.ports.first, config.ports.last)
    this.networks = new UidNetworks(docker, config.instance, config.pool, config.blockEgress, firewall)
    this.flags = new FlagFiles(config.dataDir)
  }

  async start(): Promise<void> {
    await this.networks.guardAll()
    for (const c of await this.listOwn('containers')) {
      const id = Number(c.Labels[ENVD_LABEL.env])
      const uid = Number(c.Labels[ENVD_LABEL.uid])
      if (!Number.isInteger(id) || !Number.isInteger(uid)) continue
      const egress = c.Labels[LABEL.role] === 'envd:proxy'
      const known = this.deployments.get(id)
      this.deployments.set(id, {
        uid,
        challenge: Number(c.Labels[ENVD_LABEL.challenge]),
        egress: egress || (known?.egress ?? false),
      })
      this.networks.adopt(uid, id)
      if (egress) this.networks.adopt('edge', id)
      const port = Number(c.Labels[ENVD_LABEL.port])
      if (Number.isInteger(port)) this.ports.adopt(port, id)
    }
  }

  async deploy(
    request: DeployRequest,
    placed: (p: Placement) => Promise<void>,
    signal: AbortSignal,
  ): Promise<Placement> {
    const { id, uid, challenge, plan } = request
    const egress = this.config.blockEgress
    this.deployments.set(id, { uid, challenge, egress })
    try {
      const network = await this.networks.acquire(uid, id)
      const edge = egress ? await this.networks.acquire('edge', id) : undefined
      // The flag, when the file has a place for it (a flag volume or a FLAG variable): kept on disk
      // so that a deploy interrupted by a restart resumes with it.
      const flag = hasFlagPlace(plan) ? await this.flags.prepare(uid, challenge, request.flag) : null
      const flagVolume = await this.flagVolume(request, flag)
      await Promise.all(
        plan.volumes.map((v) =>
          this.docker.createVolume({
            Name: names.volume(this.config.instance, id, v),
            Labels: this.labels('envd:volume', id, uid, challenge),
          }),
        ),
      )
      const ctx: EnvContext = {
        instance: this.config.instance,
        id,
        uid,
        challenge,
        plan,
        network,
        flagVolume,
        flag,
        hardening: this.config.hardening,
        bindIp: this.config.bindIp,
      }
      const redact = (text: string) => (flag ? text.split(flag).join('[flag]') : text)
      const tools = { ...this.config, docker: this.docker, ports: this.ports, redact }
      return await deployContainers(tools, ctx, edge, placed, signal)
    } catch (err) {
      // The deploy's own error is the answer; a cleanup that fails too is said here, not lost.
      await this.destroy(id).catch((cleanup: unknown) =>
        this.log.error(
          { env: id, err: cleanup },
          'could not remove what a failed deploy made; the next sweep will',
        ),
      )
      throw err
    }
  }

  /** The environment's flag volume, when a service mounts one. */
  private async flagVolume(
    { id, uid, challenge, plan }: DeployRequest,
    flag: string | null,
  ): Promise<string | undefined> {
    const wanting = plan.services.find((s) => s.mounts.some((m) => m.kind === 'flag'))
    if (!wanting) return undefined
    const name = names.flag(this.config.instance, id)
    const labels = envdLabels(this.config.instance, 'envd:flag', envLabels(id, uid, challenge))
    await createFlagVolume(this.docker, { name, labels, image: wanting.image, flag })
    return name
  }

  async healthy(id: number): Promise<boolean> {
    const containers = await this.listOwn('containers', id)
    return containers.length > 0 && containers.every((c) => c.State === 'running')
  }

  async destroy(id: number): Promise<void> {
    const containers = await this.listOwn('containers', id)
    await Promise.all(
      containers.map((c) =>
        this.docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreGone),
      ),
    )
    const volumes = await this.listOwn('volumes', id)
    await Promise.all(
      volumes.map((v) => this.docker.getVolume(v.Name).remove({ force: true }).catch(ignoreGone)),
    )
    this.ports.release(id)
    const deployment = this.deployments.get(id) ?? fromLabels(containers[0]?.Labels ?? volumes[0]?.Labels)
    this.deployments.delete(id)
    if (!deployment) return
    await this.networks.release(deployment.uid, id)
    if (deployment.egress) await this.networks.release('edge', id)
  }

  async sweep(keep: (id: number) => boolean): Promise<SweepResult> {
    const [containers, volumes] = await Promise.all([this.listOwn('containers'), this.listOwn('volumes')])
    const ids = new Set(
      [...containers.map((c) => c.Labels), ...volumes.map((v) => v.Labels ?? {})].map((l) =>
        Number(l[ENVD_LABEL.env]),
      ),
    )
    const removed = [...ids].filter((id) => Number.isInteger(id) && !keep(id))
    for (const id of removed) await this.destroy(id)
    await this.networks.sweep()
    // Flags go here, not in destroy: a deploy interrupted by a restart resumes with the flag on disk.
    await this.flags.keepOnly(this.deployments.values())
    return { removed }
  }

  ping(): Promise<boolean> {
    return pingEngine(this.docker)
  }

  private labels(role: 'envd:volume', id: number, uid: number, challenge: number): Record<string, string> {
    return envdLabels(this.config.instance, role, envLabels(id, uid, challenge))
  }

  private listOwn(kind: 'containers', id?: number): Promise<Dockerode.ContainerInfo[]>
  private listOwn(kind: 'volumes', id?: number): Promise<Dockerode.VolumeInspectInfo[]>
  private async listOwn(
    kind: 'containers' | 'volumes',
    id?: number,
  ): Promise<Dockerode.ContainerInfo[] | Dockerode.VolumeInspectInfo[]> {
    const filters = labelFilter({
      [ENVD_LABEL.instance]: this.config.instance,
      ...(id === undefined ? {} : { [ENVD_LABEL.env]: String(id) }),
    })
    if (kind === 'containers') return this.docker.listContainers({ all: true, filters })
    return (await this.docker.listVolumes({ filters })).Volumes ?? []
  }
}

function fromLabels(labels: Readonly<Record<string, string>> | undefined): Deployment | undefined {
  if (!labels) return undefined
  return {
    uid: Number(labels[ENVD_LABEL.uid]),
    challenge: Number(labels[ENVD_LABEL.challenge]),
    egress: false,
  }
}
