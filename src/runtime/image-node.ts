import { randomBytes } from 'node:crypto'
import type { Engine, ImageInfo } from '../engine/engine'
import { ownerLabels } from '../docker/labels'
import { NoNodeError } from '../errors'
import { bundleUnavailable } from './bundle'
import type { RuntimeMemo } from './memo'
import { ensureRuntimeVolume } from './runtime-volume'

/** Which node runs an entry: the image's own (on its PATH), or ours from the runtime volume. */
export type EntryNode = { readonly kind: 'image' } | { readonly kind: 'ours'; readonly volume: string }

/** The engine's default PATH, for images that set none. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/**
 * Decides, before the run's container is created, which node runs its entry. The image's own is
 * preferred (a tool image that ships node gets its own, with its own modules); otherwise ours.
 * Throws NoNodeError for what cannot work, before anything of the run exists.
 */
export async function entryNode(
  engine: Engine,
  memo: RuntimeMemo,
  image: string,
  runId: string,
  known?: ImageInfo,
): Promise<EntryNode> {
  const probed = memo.imageNode
  // The run has usually inspected its image already (for its key): no second round trip.
  const info = known ?? (await engine.image(image))
  let has = probed.get(info.id)
  if (!has) {
    has = imageHasNode(engine, image, runId, pathOf(info.env ?? []))
    has.catch(() => probed.delete(info.id))
    probed.set(info.id, has)
  }
  if (await has) return { kind: 'image' }
  if (info.arch && info.arch !== 'amd64')
    throw new NoNodeError(image, `the image is for ${info.arch}, and levrt brings an x86_64 node`)
  const unavailable = bundleUnavailable()
  if (unavailable) throw new NoNodeError(image, unavailable)
  return {
    kind: 'ours',
    volume: await ensureRuntimeVolume(engine, image, await memo.nodeBundle(), memo.volumes),
  }
}

function pathOf(env: readonly string[]): string[] {
  const path = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH
  return [...new Set(path.split(':').filter((d) => d.startsWith('/')))]
}

/**
 * Looks for `node` in each PATH folder through the archive API of a created, never started
 * container: no process runs, and it works on any engine. Once per image id per process.
 */
async function imageHasNode(
  engine: Engine,
  image: string,
  runId: string,
  dirs: readonly string[],
): Promise<boolean> {
  const probe = await engine.create({
    name: `levrt-${runId}-probe-${randomBytes(3).toString('hex')}`,
    image,
    entrypoint: ['/levrt-never-started'],
    cmd: [],
    env: [],
    labels: ownerLabels(runId, 'probe'),
    network: { mode: 'bridge' },
  })
  try {
    const found = await Promise.all(dirs.map((d) => probe.stat(`${d}/node`)))
    return found.some(Boolean)
  } finally {
    await probe.remove()
  }
}
