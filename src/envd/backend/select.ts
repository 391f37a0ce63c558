import type Dockerode from 'dockerode'
import type { EnvdOptions } from '../options'
import { EnvdOptionsError } from '../options'
import type { EnvBackend } from './backend'
import type { Logger } from '../log'
import { DockerBackend } from './docker'
import type { NodeFirewall } from './docker/firewall'
import { SwarmBackend } from './swarm'
import { isSwarmManager } from './swarm/nodes'

export type BackendKind = 'docker' | 'swarm'

/**
 * The backend `--backend` names; without it, swarm when the engine `DOCKER_HOST` names is a
 * swarm manager (environments then go to every node), one engine otherwise.
 */
export async function makeBackend(
  docker: Dockerode,
  options: EnvdOptions,
  local: boolean,
  log: Logger,
  firewall: NodeFirewall | undefined,
): Promise<{ backend: EnvBackend; kind: BackendKind }> {
  const kind = options.backend ?? ((await isSwarmManager(docker)) ? 'swarm' : 'docker')
  if (kind === 'docker')
    return { backend: new DockerBackend(docker, { ...options, local }, log, firewall), kind }
  if (!(await isSwarmManager(docker))) {
    throw new EnvdOptionsError('--backend', 'swarm needs DOCKER_HOST to name a manager of an active swarm')
  }
  if (options.blockEgress) {
    throw new EnvdOptionsError(
      '--block-egress',
      'is not supported by the swarm backend yet (use --backend docker)',
    )
  }
  return { backend: new SwarmBackend(docker, options), kind }
}
