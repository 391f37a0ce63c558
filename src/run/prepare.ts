import type { RootfsEntry } from '../archive/pack'
import { fileEntries, refuseRemoteBinds } from '../archive/files'
import type { Context } from '../context'
import type { Document } from '../document'
import type { ImageInfo } from '../engine/engine'
import type { RunSpec } from '../run-spec'
import type { Store } from '../store'
import { reaperWanted } from '../reaper'
import { AbortedError } from './errors'
import { identify, reusable } from './identity'

/** A run before anything exists on the engine: its inputs checked, its identity known. */
export interface Prepared {
  readonly spec: RunSpec
  readonly collection: string
  /** The store of this run, resolved once when it started. */
  readonly store: Store
  readonly home: string
  readonly mainFiles: readonly RootfsEntry[]
  /** One list per service, in `spec.services` order. */
  readonly serviceFiles: readonly (readonly RootfsEntry[])[]
  /** The run key (see history/key) and the main image as the engine describes it. */
  readonly key: string
  readonly image: ImageInfo
  /** With `reuse`: the earlier run that stands in for this one; then nothing is started. */
  readonly reused: Document | undefined
}

/**
 * Everything that can fail on bad input fails here, before anything is created: local files
 * are walked, binds checked against the engine, the image inspected (pulled if missing) and the
 * key computed; with `reuse` (and `mayReuse`), the store is asked for an earlier run of that key.
 */
export async function prepare(
  ctx: Context,
  spec: RunSpec,
  collection: string,
  mayReuse: boolean,
): Promise<Prepared> {
  const mainFiles = await fileEntries(spec.files)
  const serviceFiles = await Promise.all(spec.services.map(([, s]) => fileEntries(s.files)))
  for (const entries of [mainFiles, ...serviceFiles])
    refuseRemoteBinds(ctx.engine.local, ctx.engine.address, entries)
  if (spec.signal?.aborted) throw new AbortedError(spec.signal.reason)
  reaperWanted() // a bad LEVRT_REAPER is an OptionsError here, before anything is created
  const store = ctx.store()
  const { key, image } = await identify(
    ctx.engine,
    spec,
    collection,
    mainFiles,
    ctx.memo.digests,
    ctx.memo.entrySources,
  )
  const reused = mayReuse ? await reusable(store, collection, spec, key) : undefined
  return { spec, collection, store, home: ctx.home(), mainFiles, serviceFiles, key, image, reused }
}
