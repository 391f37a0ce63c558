import type { RootfsEntry } from '../archive/pack'
import { Document } from '../document'
import type { Engine, ImageInfo } from '../engine/engine'
import { ENTRY } from '../entry'
import { digestFiles, type DigestCache } from '../history/file-digest'
import { runKey } from '../history/key'
import { reusableRun } from '../history/lookup'
import type { RunSpec } from '../run-spec'
import type { Store } from '../store'
import { reuseFromEnv } from './reuse-env'

/** What a run is, before anything is created: its key, and what the image runs as. */
export interface RunIdentity {
  readonly key: string
  /** The main image as the engine described it (id, user, env, architecture). */
  readonly image: ImageInfo
}

/**
 * One image inspect (pulling first if the engine lacks it) gives the image's id for the key and
 * its user; local files are read once per version of the file (see digestFiles).
 */
export async function identify(
  engine: Engine,
  spec: RunSpec,
  collection: string,
  files: readonly RootfsEntry[],
  digests: DigestCache,
): Promise<RunIdentity> {
  const image = await engine.image(spec.image)
  const key = runKey({
    imageId: image.id,
    entry: spec.entry?.[ENTRY],
    cmd: spec.cmd,
    env: spec.env,
    files: await digestFiles(files, digests),
    collection,
  })
  return { key, image }
}

/** With `reuse` (or `LEVRT_REUSE`): the earlier successful run with this key that may stand in. */
export async function reusable(
  store: Store,
  collection: string,
  spec: RunSpec,
  key: string,
): Promise<Document | undefined> {
  const policy = spec.reuse ?? reuseFromEnv()
  if (!policy.reuse) return undefined
  const coll = store.collection(collection)
  const found = await reusableRun(coll, key, policy.maxAgeMs)
  return found ? new Document(coll, found.id, found.run, true) : undefined
}
