import { BSON, EJSON } from 'bson'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ResultTooLargeError, StoreError, StoreUnavailableError } from '../errors'
import { spool as spoolResult, type SpoolRetries } from '../results/spool'
import { MAX_DOCUMENT_BYTES, RUN_FIELD, type RunRecord, type Store, type StoredDoc } from '../store'

/**
 * Stores a run's result, losing nothing: a store that does not answer gets it later from the
 * spool in `home`, and a result over the size limit is kept whole in `home/oversize`.
 */
export async function saveResult(
  store: Store,
  spool: { readonly home: string; readonly retries: SpoolRetries },
  result: {
    readonly collection: string
    readonly id: string
    readonly fields: StoredDoc
    readonly run: RunRecord
  },
): Promise<void> {
  const { collection, id, fields, run } = result
  const { home } = spool
  try {
    await store.save(collection, id, fields, run)
  } catch (err) {
    if (err instanceof StoreError && err.unreachable) {
      const path = await spoolResult(home, store, spool.retries, result)
      throw new StoreUnavailableError(store.location, path, err)
    }
    // Sized only when a write fails (sizing 8 MB costs tens of ms): a store refuses a
    // document over the limit, but in its own words, or the driver's.
    const bytes = BSON.calculateObjectSize({ _id: id, ...fields, [RUN_FIELD]: run })
    if (bytes <= MAX_DOCUMENT_BYTES) throw err
    const dir = join(home, 'oversize')
    const path = join(dir, `${id}.json`)
    await mkdir(dir, { recursive: true })
    await writeFile(path, EJSON.stringify({ collection, _id: id, fields, run }, { relaxed: true }))
    throw new ResultTooLargeError(bytes, MAX_DOCUMENT_BYTES, path)
  }
}
