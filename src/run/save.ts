import { BSON, EJSON } from 'bson'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, ResultTooLargeError, StoreError, StoreUnavailableError } from '../errors'
import { spool as spoolResult, type SpoolRetries } from '../results/spool'
import { MAX_DOCUMENT_BYTES, RUN_FIELD, type RunRecord, type Store } from '../store'
import { fieldsObject, type SaveFields } from '../store/json-fields'

interface Result {
  readonly collection: string
  readonly id: string
  readonly fields: SaveFields
  readonly run: RunRecord
}

/**
 * Stores a run's result, losing nothing: a store that does not answer gets it later from the
 * spool in `home`; a result over the size limit is kept whole in `home/oversize`, one the store
 * refused for another reason in `home/refused`. Every failure is a typed error; when even the
 * home cannot take the result (a full disk), the StoreError says so.
 */
export async function saveResult(
  store: Store,
  spool: { readonly home: string; readonly retries: SpoolRetries },
  result: Result,
): Promise<void> {
  const { collection, id, fields, run } = result
  const { home } = spool
  try {
    await store.save(collection, id, fields, run)
  } catch (err) {
    if (err instanceof StoreError && err.unreachable) {
      const path = await spoolResult(home, store, spool.retries, {
        ...result,
        fields: fieldsObject(fields),
      }).catch((spoolErr: unknown) => {
        const why = `the store did not answer, and the result could not be spooled (${describe(spoolErr)})`
        throw new StoreError(why, err, true)
      })
      throw new StoreUnavailableError(store.location, path, err)
    }
    // Sized only when a write fails (sizing 8 MB costs tens of ms): a store refuses a
    // document over the limit, but in its own words, or the driver's.
    const bytes = BSON.calculateObjectSize({ _id: id, ...fieldsObject(fields), [RUN_FIELD]: run })
    const oversize = bytes > MAX_DOCUMENT_BYTES
    let path: string
    try {
      path = await keep(join(home, oversize ? 'oversize' : 'refused'), result)
    } catch (keepErr) {
      if (!(err instanceof StoreError)) throw err
      throw new StoreError(`the result was refused, and could not be kept (${describe(keepErr)})`, err)
    }
    if (oversize) throw new ResultTooLargeError(bytes, MAX_DOCUMENT_BYTES, path)
    if (err instanceof StoreError) throw new StoreError('the result was refused', err, false, path)
    throw err
  }
}

/** Writes the whole result into `dir` as relaxed EJSON; returns its path. */
async function keep(dir: string, result: Result): Promise<string> {
  const { collection, id, fields, run } = result
  const path = join(dir, `${id}.json`)
  await mkdir(dir, { recursive: true })
  const plain = fieldsObject(fields)
  await writeFile(path, EJSON.stringify({ collection, _id: id, fields: plain, run }, { relaxed: true }))
  return path
}
