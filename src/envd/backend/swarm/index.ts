import type Dockerode from 'dockerode'
import { LABEL } from '../../../docker/labels'
import { hasFlagPlace } from '../../compose/plan'
import type { SubnetPool } from '../../../docker/subnets'
import type { Hardening } from '../../options'
import {
  DeployError,
  type DeployRequest,
  type EnvBackend,
  type Placement,
  type SweepResult,
} from '../backend'
import { ignoreGone, pingEngine } from '../common'
import { FlagFiles } from '../docker/flags'
import type { NodeGuard } from './guard'
import { ENVD_LABEL, labelFilter } from '../docker/labels'
import { PortAllocator } from '../docker/ports'
import { swarmLabels, swarmNames } from './names'
import { UidOverlays } from './overlays'
import { createServices } from './create'
import { sharedVolumes, type SwarmEnvContext } from './spec'
import { currentTask, isRunning, tasksOf } from './tasks'
import { PlacementFollower, type Report } from './follow'
import { Snapshots } from './snapshots'
import { watchDeploy } from './watch'

export interface SwarmBackendConfig {
  readonly instance: string
  readonly dataDir: string
  readonly ports: { readonly first: number; readonly last: number }
  readonly pool: SubnetPool
  readonly blockEgress: boolean
  /** The forwarders' image (--proxy-image; on every node, as the guard's). */
  readonly proxyImage: string
  readonly hardening: Hardening
  readonly readyTimeoutMs: number
}

interface Deployment {
  readonly uid: number
  readonly challenge: number
}

/**
 * Environments on a Docker Swarm, through its manager: each compose service a swarm service
 * (the swarm's scheduler places it: no placement of ours), each uid an overlay across the nodes,
 * the flag a swarm secret. Ports from `--ports` are unique across the swarm; the exposed one is
 * published in host mode, so `node_ip` is the node that runs the task.
 */
export class SwarmBackend implements EnvBackend {
  private readonly deployments = new Map<number, Deployment>()
  private readonly ports: PortAllocator
  private readonly overlays: UidOverlays
  private readonly flags: FlagFiles
  private readonly deploying = new Set<number>()
  private readonly follower: PlacementFollower
  private readonly snapshots: Snapshots

  constructor(
    private readonly docker: Dockerode,
    private readonly config: SwarmBackendConfig,
    /** Node isolation's guard service (none: `--no-node-isolation`). */
    private readonly guard?: NodeGuard,
  ) {
    this.ports = new PortAllocator(config.ports.first, config.ports.last)
    this.overlays = new UidOverlays(docker, config.instance, config.pool, config.blockEgress)
    // Kept on the service's own disk (never on a node) so a deploy resumed after a restart has it.
    this.flags = new FlagFiles(config.dataDir)
    this.snapshots = new Snapshots(docker)
    this.follower = new PlacementFollower(
      docker,
      () => this.listServices(),
      (id) => this.deploying.has(id),
    )
  }

  async start(): Promise<void> {
    for (const s of await this.listServices()) {
      const labels = s.Spec?.Labels ?? {}
      const id = Number(labels[ENVD_LABEL.env])
      const uid = Number(labels[ENVD_LABEL.uid])
      if (!Number.isInteger(id) || !Number.isInteger(uid)) continue
      this.deployments.set(id, { uid, challenge: Number(labels[ENVD_LABEL.challenge]) })
      this.overlays.adopt(uid, id)
      if (labels[LABEL.role] === 'envd:proxy') this.overlays.adopt('edge', id)
      const port = Number(labels[ENVD_LABEL.port])
      if (Number.isInteger(port)) this.ports.adopt(port, id)
    }
  }

  async deploy(
    request: DeployRequest,
    placed: (p: Placement) => Promise<void>,
    signal: AbortSignal,
  ): Promise<Placement> {
    const { id, uid, challenge, plan } = request
    const shared = sharedVolumes(plan)
    if (shared.length) {
      throw new DeployError(
        `volume ${shared.join(', ')} is mounted by several services: ` +
          'on a swarm a named volume is node-local, ' +
          "and an environment's services may run on different nodes",
      )
    }
    this.deployments.set(id, { uid, challenge })
    this.deploying.add(id)
    try {
      // Before any challenge runs: no node without the guard's rules takes one.
      await this.guard?.ensure()
      const network = await this.overlays.acquire(uid, id)
      // Kept on disk when the file has a place for it, so that a deploy a restart cut short resumes with it.
      const flag = hasFlagPlace(plan) ? await this.flags.prepare(uid, challenge, request.flag) : null
      const secret = await this.flagSecret(request, flag)
      const port = this.ports.reserve(id)
      const edge = this.config.blockEgress ? await this.overlays.acquire('edge', id) : undefined
      const ctx: SwarmEnvContext = {
        ...this.config,
        id,
        uid,
        challenge,
        plan,
        network,
        secret,
        flag,
        port,
        edge,
      }
      const services = await createServices(this.docker, ctx, this.config.proxyImage, signal)
      const where = await watchDeploy(services, {
        snapshots: this.snapshots,
        port,
        protocol: plan.exposed.protocol,
        deadline: Date.now() + this.config.readyTimeoutMs,
        signal,
        redact: (text) => (flag ? text.split(flag).join('[flag]') : text),
        placed,
      })
      this.follower.settled(id, where)
      return where
    } catch (err) {
      await this.destroy(id).catch(() => undefined)
      throw err
    } finally {
      this.deploying.delete(id)
    }
  }

  async healthy(id: number): Promise<boolean> {
    const services = await this.listServices(id)
    const tasks = await tasksOf(
      this.docker,
      services.map((s) => s.ID),
    )
    return services.length > 0 && services.every((s) => isRunning(currentTask(tasks.get(s.ID) ?? [])))
  }

  async destroy(id: number): Promise<void> {
    const services = await this.listServices(id)
    await Promise.all(services.map((s) => this.docker.getService(s.ID).remove().catch(ignoreGone)))
    const secrets = await this.docker.listSecrets({ filters: this.filter(id) })
    await Promise.all(secrets.map((s) => this.docker.getSecret(s.ID).remove().catch(ignoreGone)))
    this.ports.release(id)
    this.follower.forget(id)
    const labels = services[0]?.Spec?.Labels
    const deployment =
      this.deployments.get(id) ?? (labels ? { uid: Number(labels[ENVD_LABEL.uid]) } : undefined)
    this.deployments.delete(id)
    if (deployment) await this.overlays.release(deployment.uid, id)
    if (this.config.blockEgress) await this.overlays.release('edge', id)
  }

  async sweep(keep: (id: number) => boolean): Promise<SweepResult> {
    const [services, secrets] = await Promise.all([
      this.listServices(),
      this.docker.listSecrets({ filters: this.filter() }),
    ])
    const labels = [...services.map((s) => s.Spec?.Labels ?? {}), ...secrets.map((s) => s.Spec?.Labels ?? {})]
    const ids = new Set(labels.map((l) => Number(l[ENVD_LABEL.env])))
    const removed = [...ids].filter((id) => Number.isInteger(id) && !keep(id))
    for (const id of removed) await this.destroy(id)
    await this.overlays.sweep()
    await this.flags.keepOnly(this.deployments.values())
    await this.retireGuard()
    return { removed }
  }

  async close(): Promise<void> {
    await this.retireGuard()
  }

  /** The guard goes once nothing of this instance runs (nothing left for it to guard). */
  private async retireGuard(): Promise<void> {
    await this.guard?.retire(() => this.deployments.size === 0 && this.deploying.size === 0)
  }

  follow(report: Report): () => void {
    return this.follower.start(report)
  }

  ping(): Promise<boolean> {
    return pingEngine(this.docker)
  }

  /** The environment's flag as a swarm secret, if a service mounts a flag volume and there is a flag. */
  private async flagSecret(
    { id, uid, challenge, plan }: DeployRequest,
    flag: string | null,
  ): Promise<SwarmEnvContext['secret']> {
    if (flag === null || !plan.services.some((s) => s.mounts.some((m) => m.kind === 'flag'))) return undefined
    const name = swarmNames.secret(this.config.instance, id)
    const labels = swarmLabels(this.config.instance, 'envd:secret', { id, uid, challenge })
    const created = (await this.docker.createSecret({
      Name: name,
      Labels: labels,
      Data: Buffer.from(flag).toString('base64'),
    })) as {
      id: string
    }
    return { id: created.id, name }
  }

  private filter(id?: number): string {
    return labelFilter({
      [ENVD_LABEL.instance]: this.config.instance,
      ...(id === undefined ? {} : { [ENVD_LABEL.env]: String(id) }),
    })
  }

  private listServices(id?: number): Promise<Dockerode.Service[]> {
    return this.docker.listServices({ filters: this.filter(id) })
  }
}
