import { EJSON } from 'bson'

/**
 * One value as one line of JSON: EJSON relaxed, MongoDB's own text form, so a stored Date
 * stays a date (`{"$date":"2024-05-01T10:00:00Z"}`) and `levrt find` prints documents exactly as
 * `levrt find`'s filter reads them. Values JSON cannot hold (a function, a cycle) print as text.
 */
export function jsonLine(value: unknown): string {
  try {
    const text = EJSON.stringify(value as Parameters<typeof EJSON.stringify>[0], { relaxed: true })
    if (typeof text === 'string') return `${text}\n`
  } catch {
    // below
  }
  return `${JSON.stringify(String(value))}\n`
}

/** What `levrt run` needs of a Document. Checked by shape: the module may load its own copy of levrt. */
export interface DocumentLike {
  readonly coll: { readonly collectionName: string }
  get(): Promise<unknown>
}

export function isDocumentLike(value: unknown): value is DocumentLike {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Partial<Record<'get' | 'coll', unknown>>
  return (
    typeof v.get === 'function' &&
    typeof v.coll === 'object' &&
    v.coll !== null &&
    typeof (v.coll as { collectionName?: unknown }).collectionName === 'string'
  )
}

/**
 * Prints what an export returned, once settled: a Document (or a Cr, a Task or a promise of
 * one, which settle to one) as the JSON line of `await doc.get()`; an array item by item, in order (its items run
 * together, as `Promise.all` runs them); `undefined` as nothing; anything else as JSON.
 */
export async function printResult(value: unknown, write: (line: string) => void): Promise<void> {
  let settled = await value
  // A Task that `start()`'s promise resolved with hid its `then` for that one resolution (see
  // README, "Awaiting a Task"): awaiting it now gives its Document.
  while (isThenable(settled)) settled = await settled
  if (Array.isArray(settled)) {
    for (const item of await Promise.all(settled)) await printResult(item, write)
  } else if (isDocumentLike(settled)) {
    write(jsonLine(await settled.get()))
  } else if (settled !== undefined) {
    write(jsonLine(settled))
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}
