import type Dockerode from 'dockerode'
import type { ContainerSpec, Mount, NetworkChoice } from './engine'

/** The engine's create request for one of our container specs. */
export function createOptions(spec: ContainerSpec): Dockerode.ContainerCreateOptions {
  return {
    name: spec.name,
    Image: spec.image,
    Entrypoint: spec.entrypoint ? [...spec.entrypoint] : undefined,
    Cmd: spec.cmd ? [...spec.cmd] : undefined,
    Env: [...spec.env],
    Labels: { ...spec.labels },
    HostConfig: {
      NetworkMode: networkMode(spec.network),
      ExtraHosts: spec.extraHosts ? [...spec.extraHosts] : undefined,
      Tmpfs: spec.tmpfs ? Object.fromEntries(spec.tmpfs.map((path) => [path, 'size=64k'])) : undefined,
      // Swap as large as memory: the limit is the limit, as with `docker run --memory` on a host without swap accounting.
      Memory: spec.limits?.memoryBytes,
      MemorySwap: spec.limits?.memoryBytes,
      NanoCpus: spec.limits?.nanoCpus,
      PidsLimit: spec.limits?.pids,
      Mounts: spec.mounts?.map(mountOf),
    },
    NetworkingConfig:
      spec.network.mode === 'user'
        ? { EndpointsConfig: { [spec.network.name]: { Aliases: [...spec.network.aliases] } } }
        : undefined,
  }
}

/** A container's address on the first network that gives it one. */
export function firstAddress(info: Dockerode.ContainerInspectInfo): string | undefined {
  return (
    Object.values(info.NetworkSettings.Networks ?? {})
      .map((n) => n.IPAddress)
      .find(Boolean) || undefined
  )
}

function mountOf(mount: Mount): Dockerode.MountSettings {
  // NoCopy: an empty volume must stay empty, whatever the image has at the target.
  return mount.kind === 'volume'
    ? {
        Type: 'volume',
        Source: mount.name,
        Target: mount.target,
        ReadOnly: mount.readOnly,
        VolumeOptions: { NoCopy: true } as Dockerode.MountSettings['VolumeOptions'],
      }
    : { Type: 'bind', Source: mount.source, Target: mount.target, ReadOnly: mount.readOnly }
}

function networkMode(choice: NetworkChoice): string {
  if (choice.mode === 'user') return choice.name
  if (choice.mode === 'container') return `container:${choice.id}`
  return choice.mode
}
