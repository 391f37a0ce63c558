import type Dockerode from 'dockerode'
import type { EnvdOptions } from '../options'
import { EnvdOptionsError } from '../options'
import type { EnvBackend } from './backend'
import type { Logger } from '../log'
import { DockerBackend } from './docker'
import type { NodeFirewall } from './docker/firewall'
import { SwarmBackend } from './swarm'
import type { NodeGuard } from './swarm/guard'
import { isSwarmManager } from './swarm/nodes'

export type BackendKind = 'docker' | 'swarm'

/**
 * The backend `--backend` names; without it, swarm when the engine `DOCKER_HOST` names is a
 * swarm manager (environments then go to every node), one engine otherwise.
 */
export async function backendKind(docker: Dockerode, options: EnvdOptions): Promise<BackendKind> {
  const kind = options.backend ?? ((await isSwarmManager(docker)) ? 'swarm' : 'docker')
  if (kind === 'swarm' && !(await isSwarmManager(docker))) {
    throw new EnvdOptionsError('--backend', 'swarm needs DOCKER_HOST to name a manager of an active swarm')
  }
  return kind
}

/** Node isolation of the kind's own: iptables here (one engine on this host), a guard service on every node (swarm). */
export type Isolation = { kind: 'docker'; firewall: NodeFirewall } | { kind: 'swarm'; guard: NodeGuard }

export function makeBackend(
  docker: Dockerode,
  options: EnvdOptions,
  kind: BackendKind,
  local: boolean,
  log: Logger,
  isolation: Isolation | undefined,
): EnvBackend {
  if (kind === 'docker') {
    const firewall = isolation?.kind === 'docker' ? isolation.firewall : undefined
    return new DockerBackend(docker, { ...options, local }, log, firewall)
  }
  return new SwarmBackend(docker, options, isolation?.kind === 'swarm' ? isolation.guard : undefined)
}
