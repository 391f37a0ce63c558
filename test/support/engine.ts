import Dockerode from 'dockerode'

export const docker = new Dockerode()

/** What the SDK has created on the engine right now, by its label. */
export async function levrtObjects(): Promise<{ containers: number; networks: number; volumes: number }> {
  const filters = JSON.stringify({ label: ['io.levrt.managed'] })
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
