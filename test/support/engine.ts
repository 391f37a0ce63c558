import Dockerode from 'dockerode'

export const docker = new Dockerode()

/**
 * What runs of this process have on the engine right now, by label. Scoped to this process
 * (each test file runs in its own worker), so other work on the same engine cannot disturb it.
 */
export async function levrtObjects(): Promise<{ containers: number; networks: number; volumes: number }> {
  const filters = JSON.stringify({ label: ['io.levrt.managed', `io.levrt.owner.pid=${process.pid}`] })
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ])
  return { containers: containers.length, networks: networks.length, volumes: volumes.Volumes?.length ?? 0 }
}

/** Containers of one run (the run id is the document's `_id`). */
export async function containersOfRun(runId: string): Promise<Dockerode.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: JSON.stringify({ label: [`io.levrt.run=${runId}`] }) })
}
