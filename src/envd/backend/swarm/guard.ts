import type Dockerode from 'dockerode'
import { createHash } from 'node:crypto'
import { networkInterfaces } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { NodeIsolationError } from '../docker/iptables'
import { ENVD_LABEL, labelFilter } from '../docker/labels'
import { Mutex } from '../../lock'
import { listNodes, type SwarmNode } from './nodes'
import { GUARD_HEALTH, GUARD_SCRIPT } from './guard-script'
import { swarmLabels } from './names'
import { failures, isRunning, type SwarmTask } from './tasks'

/** How long the guard may take to be in place on every node. */
const READY_MS = 60_000
/** How long one look at the swarm's addresses stands before a deploy looks again. */
const RECHECK_MS = 10_000
/** The Docker API version whose service specs have CapabilityAdd (engine 20.10). */
const MIN_API = 1.41

/**
 * Node isolation on a swarm: envd cannot run iptables on remote nodes, so a global service of
 * ours (the node guard: the proxy image, host network, NET_ADMIN, the node's root at /host) does
 * it on each node (guard-script.ts says which rules). It is made with the first environment,
 * its env var ADDRESSES updated when the swarm's addresses change, and removed once this
 * instance runs nothing (its tasks remove their rules as they stop).
 */
export class NodeGuard {
  private readonly lock = new Mutex()
  private readonly chain: string
  /** What the running guard was made with (undefined: not known to run). */
  private current: string | undefined
  private checkedAt = 0

  constructor(
    private readonly docker: Dockerode,
    private readonly instance: string,
    private readonly image: string,
  ) {
    this.chain = `LEVRT-SW-${createHash('sha256').update(instance).digest('hex').slice(0, 12)}`
  }

  get name(): string {
    return `levrt-envd-${this.instance}-guard`
  }

  /** Refuses (NodeIsolationError, saying why) where the guard cannot be run. */
  async check(): Promise<void> {
    const { ApiVersion } = (await this.docker.version()) as { ApiVersion?: string }
    if (Number(ApiVersion) < MIN_API)
      throw new NodeIsolationError(
        `the manager's engine speaks API ${ApiVersion}; the node guard needs ${MIN_API} (engine 20.10) ` +
          'for a service with NET_ADMIN',
      )
  }

  /** The guard runs on every node with the swarm's current addresses (made or updated as needed). */
  ensure(): Promise<void> {
    // A hundred deploys at once ask together: one look at the nodes answers them for a while.
    if (this.current !== undefined && Date.now() - this.checkedAt < RECHECK_MS) return Promise.resolve()
    return this.lock.run(async () => {
      if (this.current !== undefined && Date.now() - this.checkedAt < RECHECK_MS) return
      const nodes = await listNodes(this.docker)
      const addresses = protectedAddresses(nodes)
      this.checkedAt = Date.now()
      if (this.current === addresses) return
      const found = await this.find()
      const spec = this.spec(addresses)
      if (!found) await this.docker.createService(spec)
      else if (!JSON.stringify(found.Spec?.TaskTemplate).includes(`"ADDRESSES=${addresses}"`))
        await this.docker.getService(found.ID).update({ version: found.Version?.Index, ...spec })
      await this.ready(nodes)
      this.current = addresses
    })
  }

  /** Removes the guard when `idle` still holds once it is this call's turn. */
  retire(idle: () => boolean): Promise<void> {
    return this.lock.run(async () => {
      if (!idle()) return
      // At once, before any await: a deploy starting meanwhile must not take the guard as running.
      this.current = undefined
      const found = await this.find()
      if (found)
        await this.docker
          .getService(found.ID)
          .remove()
          .catch(() => undefined)
    })
  }

  private async find(): Promise<Dockerode.Service | undefined> {
    const found = await this.docker.listServices({
      filters: labelFilter({ [ENVD_LABEL.instance]: this.instance, 'io.levrt.role': 'envd:guard' }),
    })
    return found[0]
  }

  /** Every ready, active node has a running (healthy: rules in place) task of the guard's newest spec. */
  private async ready(nodes: readonly SwarmNode[]): Promise<void> {
    const wanted = nodes.filter((n) => n.state === 'ready' && n.availability === 'active')
    const deadline = Date.now() + READY_MS
    for (;;) {
      const service = await this.find()
      const tasks = (await this.docker.listTasks({
        filters: JSON.stringify({ service: [this.name] }),
      })) as (SwarmTask & { Version?: unknown })[]
      const current = tasks.filter((t) => t.DesiredState === 'running')
      const missing = wanted.filter((n) => !current.some((t) => t.NodeID === n.id && isRunning(t)))
      if (service && !missing.length) return
      const failed = failures(tasks).find((t) => missing.some((n) => n.id === t.NodeID))
      if (Date.now() >= deadline || (failed && failures(tasks).length >= 3)) {
        const node = missing[0]
        const why = failed?.Status.Err ?? 'its task did not become healthy'
        throw new NodeIsolationError(
          `the node guard does not run on node ${node?.name} (${node?.address}): ${why}`,
        )
      }
      await sleep(250)
    }
  }

  private spec(addresses: string): Dockerode.CreateServiceOptions {
    return {
      Name: this.name,
      Labels: swarmLabels(this.instance, 'envd:guard'),
      Mode: { Global: {} },
      TaskTemplate: {
        ContainerSpec: {
          Image: this.image,
          Labels: swarmLabels(this.instance, 'envd:guard'),
          Command: ['sh', '-c', GUARD_SCRIPT],
          Env: [
            // The node's own binaries first (chroot runs them by this PATH).
            'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
            `CHAIN=${this.chain}`,
            `INSTANCE=${this.instance}`,
            `ADDRESSES=${addresses}`,
          ],
          CapabilityAdd: ['CAP_NET_ADMIN'],
          // The node's iptables (and its lock file) through chroot: the image needs none of its own.
          Mounts: [{ Type: 'bind', Source: '/', Target: '/host', ReadOnly: false }],
          HealthCheck: {
            Test: ['CMD', 'sh', '-c', GUARD_HEALTH],
            Interval: 2e9,
            Timeout: 10e9,
            Retries: 3,
            StartPeriod: 1e9,
          },
          StopGracePeriod: 20e9,
        },
        RestartPolicy: { Condition: 'any', Delay: 2e9 },
        Networks: [{ Target: 'host' }],
        LogDriver: { Name: 'json-file', Options: { 'max-size': '1m', 'max-file': '2' } },
      },
    }
  }
}

/** The addresses a challenge must not reach: every node's (swarm and players'), and this host's. */
export function protectedAddresses(nodes: readonly SwarmNode[]): string {
  const own = Object.values(networkInterfaces())
    .flatMap((a) => a ?? [])
    .filter((a) => a.family === 'IPv4' && !a.internal)
    .map((a) => a.address)
  const all = new Set([...nodes.flatMap((n) => [n.address, n.swarmAddress]), ...own])
  return [...all]
    .filter((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a) && a !== '0.0.0.0')
    .sort()
    .join(' ')
}
