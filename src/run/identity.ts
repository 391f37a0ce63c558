import type { RootfsEntry } from '../archive/pack'
import { Document } from '../document'
import type { Engine, ImageInfo } from '../engine/engine'
import { ENTRY } from '../entry'
import { StoreError } from '../errors'
import { canonicalSource, type EntrySources } from '../history/entry-source'
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
  sources: EntrySources,
): Promise<RunIdentity> {
  const image = await engine.image(spec.image)
  const entry = spec.entry?.[ENTRY]
  const key = runKey({
    imageId: image.id,
    entry: entry && { source: await canonicalSource(entry.source, sources), args: entry.args },
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
  // Before anything is created: a store that cannot be asked fails the run typed, as a save would.
  const found = await reusableRun(coll, key, policy.maxAgeMs).catch((err: unknown) => {
    if (err instanceof StoreError) throw err
    throw new StoreError(`could not look for an earlier run in ${collection}`, err, store.unreachable(err))
  })
  // Under --resume, a miss says which key it looked for: a run made another way (an ES5
  // build, a changed file) is then easy to tell from one that never ran.
  if (!found && spec.reuse === undefined)
    process.stderr.write(
      `levrt: --resume: no earlier successful run in ${collection} with key ${key}: running it\n`,
    )
  return found ? new Document(coll, found.id, found.run, true) : undefined
}
