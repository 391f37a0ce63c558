import Dockerode from 'dockerode'

/** Containers and networks of this process's runs still on the engine (the SDK labels them). */
export async function runObjectsLeft(docker = new Dockerode()): Promise<number> {
  const filters = JSON.stringify({ label: ['io.levrt.run', `io.levrt.owner.pid=${process.pid}`] })
  const [containers, networks] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
  ])
  return containers.length + networks.length
}
