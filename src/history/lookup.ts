import type { ResultCollection, RunRecord, StoredDoc } from '../store'
import { RUN_FIELD } from '../store'

/**
 * History lookups go by key, so the key is indexed. Collections are handed out anew per call on
 * both stores, and making an index that exists is one cheap call, so it is simply asked for
 * each time; a store that cannot make it still answers the lookup.
 */
export async function ensureKeyIndex(coll: ResultCollection): Promise<void> {
  try {
    await coll.createIndex({ [`${RUN_FIELD}.key`]: 1 })
  } catch {
    // The lookups still answer without it, only slower: never fail a run for an index.
  }
}

/** Collections whose key index this process has made, per store: a run's save asks once. */
const made = new Set<string>()

/** The key index, made when a store first gets a run in a collection (not on every save). */
export async function keyIndexOnce(storeKey: string, coll: ResultCollection): Promise<void> {
  const id = `${storeKey}\n${coll.collectionName}`
  if (made.has(id)) return
  made.add(id)
  await ensureKeyIndex(coll)
}

export interface StoredRun {
  readonly id: string
  readonly run: RunRecord
}

/**
 * The newest stored run matching `filter` among those with `key`. Runs with one key are the same
 * work repeated, so they are few: they are all read (bookkeeping only) and the newest `_id` (ids
 * sort by time) wins, which every store can answer without a sort.
 */
export async function latestRun(coll: ResultCollection, key: string, filter: StoredDoc = {}): Promise<StoredRun | undefined> {
  await ensureKeyIndex(coll)
  const docs = await coll.find({ [`${RUN_FIELD}.key`]: key, ...filter }, { projection: { [RUN_FIELD]: 1 } }).toArray()
  let latest: StoredDoc | undefined
  for (const doc of docs) if (!latest || String(doc._id) > String(latest._id)) latest = doc
  return latest ? { id: String(latest._id), run: latest[RUN_FIELD] as RunRecord } : undefined
}

/** The latest successful run with this key, ended no longer than `maxAgeMs` ago. */
export function reusableRun(coll: ResultCollection, key: string, maxAgeMs: number | undefined): Promise<StoredRun | undefined> {
  const filter: StoredDoc = { [`${RUN_FIELD}.ok`]: true }
  if (maxAgeMs !== undefined) filter[`${RUN_FIELD}.endedAt`] = { $gte: new Date(Date.now() - maxAgeMs) }
  return latestRun(coll, key, filter)
}
