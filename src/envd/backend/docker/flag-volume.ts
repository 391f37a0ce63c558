import type Dockerode from 'dockerode'
import { pack } from 'tar-stream'

/** Where the writer container mounts the volume: a path no image has, so nothing is copied in. */
const MOUNT = '/levrt-flag'

/**
 * An environment's flag volume: an engine volume holding `flag` (nothing without one), written
 * through the engine's archive API into a container that is created and never started, made
 * from an image the environment already needs. Challenge containers mount the volume, not a
 * folder of ours, so nothing of the node's paths shows in their mounts (or in their
 * `/proc/self/mountinfo`), and it works where the engine does not share our disk.
 */
export async function createFlagVolume(
  docker: Dockerode,
  spec: {
    readonly name: string
    readonly labels: Record<string, string>
    readonly image: string
    readonly flag: string | null
  },
): Promise<void> {
  await docker.createVolume({ Name: spec.name, Labels: spec.labels })
  if (spec.flag === null) return
  const writer = await docker.createContainer({
    Image: spec.image,
    Entrypoint: ['/levrt-never-started'],
    Cmd: [],
    Labels: spec.labels,
    NetworkDisabled: true,
    HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'volume', Source: spec.name, Target: MOUNT }] },
  })
  try {
    await writer.putArchive(await tarOf('flag', spec.flag), { path: MOUNT })
  } finally {
    await writer.remove({ force: true })
  }
}

function tarOf(name: string, text: string): Promise<Buffer> {
  const tar = pack()
  const chunks: Buffer[] = []
  tar.on('data', (c: unknown) => chunks.push(c as Buffer))
  const done = new Promise<Buffer>((resolve, reject) => {
    tar.on('end', () => resolve(Buffer.concat(chunks)))
    tar.on('error', reject)
  })
  tar.entry({ name, mode: 0o644 }, text)
  tar.finalize()
  return done
}
