import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type Dockerode from 'dockerode'
import { ENVD_LABEL } from '../../src/envd/backend/docker/labels'

/** What one part of R5 found; the scenario adds them up. */
export interface PartResult {
  readonly load: string
  readonly faults: string
  readonly leaks: number
  readonly losses: number
  readonly problems: string[]
  readonly notes?: string
}

/** A busybox httpd that comes back when its engine does. */
export const LIGHT_RESTARTING = `services:
  web:
    image: levrt-rel/busybox:1.0
    command: httpd -f -p 80 -h /etc
    restart: always
    ports:
      - target: 80
        protocol: tcp
`
/** The versioned name the compose policy wants, a tag of the local levrt/busybox. */
export const BUSYBOX = { repo: 'levrt-rel/busybox', tag: '1.0' }

/** A scratch folder: `data/compose/light.yaml` and a `home` for the embedded store. */
export function scratch(): { root: string; data: string; home: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), 'levrt-r5-'))
  const data = join(root, 'data')
  mkdirSync(join(data, 'compose'), { recursive: true })
  writeFileSync(join(data, 'compose', 'light.yaml'), LIGHT_RESTARTING)
  return {
    root,
    data,
    home: join(root, 'home'),
    remove: () => rmSync(root, { recursive: true, force: true }),
  }
}

export async function tagBusybox(docker: Dockerode): Promise<void> {
  await docker.getImage('levrt/busybox:latest').tag(BUSYBOX)
}

export async function untagBusybox(docker: Dockerode): Promise<void> {
  await docker
    .getImage(`${BUSYBOX.repo}:${BUSYBOX.tag}`)
    .remove({ noprune: true })
    .catch(() => undefined)
}

/** The instance's containers, networks and volumes on an engine, with their environment ids. */
export async function instanceObjects(
  docker: Dockerode,
  instance: string,
): Promise<{ containers: Dockerode.ContainerInfo[]; networks: number; volumes: number }> {
  const filters = JSON.stringify({ label: [`${ENVD_LABEL.instance}=${instance}`] })
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ])
  return { containers, networks: networks.length, volumes: volumes.Volumes?.length ?? 0 }
}

/** Removes whatever of the instance is left (counted as leaks before): the next run starts clean. */
export async function removeInstance(docker: Dockerode, instance: string): Promise<number> {
  const { containers } = await instanceObjects(docker, instance)
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => 0),
    ),
  )
  const filters = JSON.stringify({ label: [`${ENVD_LABEL.instance}=${instance}`] })
  const networks = await docker.listNetworks({ filters })
  await Promise.all(
    networks.map((n) =>
      docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => 0),
    ),
  )
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? []
  await Promise.all(
    volumes.map((v) =>
      docker
        .getVolume(v.Name)
        .remove({ force: true })
        .catch(() => 0),
    ),
  )
  return containers.length + networks.length + volumes.length
}

export function envOf(c: Dockerode.ContainerInfo): number {
  return Number(c.Labels[ENVD_LABEL.env])
}
