import type { ResultCollection, RunRecord, StoredDoc } from '../store'
import { RUN_FIELD } from '../store'

/**
 * The key index, made when a store first gets a run in a collection in this process (the saves
 * make it, so lookups find it there); `made` holds the collections asked for already, per
 * store. Never fails a run: without it, lookups are only slower.
 */
export async function keyIndexOnce(
  storeKey: string,
  coll: ResultCollection,
  made: Set<string>,
): Promise<void> {
  const id = `${storeKey}\n${coll.collectionName}`
  if (made.has(id)) return
  made.add(id)
  try {
    await coll.createIndex({ [`${RUN_FIELD}.key`]: 1 })
  } catch {
    // Tried once per process and collection; the next process tries again.
  }
}

export interface StoredRun {
  readonly id: string
  readonly run: RunRecord
}

/** The newest stored run (ids sort by time) with `key` matching `filter`; bookkeeping only. */
export async function latestRun(
  coll: ResultCollection,
  key: string,
  filter: StoredDoc = {},
): Promise<StoredRun | undefined> {
  const [latest] = await coll
    .find(
      { [`${RUN_FIELD}.key`]: key, ...filter },
      { projection: { [RUN_FIELD]: 1 }, sort: { _id: -1 }, limit: 1 },
    )
    .toArray()
  return latest ? { id: String(latest._id), run: latest[RUN_FIELD] as RunRecord } : undefined
}

/** The latest successful run with this key, ended no longer than `maxAgeMs` ago. */
export function reusableRun(
  coll: ResultCollection,
  key: string,
  maxAgeMs: number | undefined,
): Promise<StoredRun | undefined> {
  const filter: StoredDoc = { [`${RUN_FIELD}.ok`]: true }
  if (maxAgeMs !== undefined) filter[`${RUN_FIELD}.endedAt`] = { $gte: new Date(Date.now() - maxAgeMs) }
  return latestRun(coll, key, filter)
}
