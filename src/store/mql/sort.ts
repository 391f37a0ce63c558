import { QueryError } from '../query-error'
import type { StoredDoc } from '../store'
import { compare, isPlainObject } from './order'
import { sortKeys } from './path'
import { describe } from './regex'

/**
 * MongoDB's sort: per key, a document's smallest value there when ascending and its largest
 * when descending (arrays compare by their elements, see path.ts), across types in BSON order.
 * Ties go by `_id`, as the SQL sort breaks them, so an index never changes an answer.
 */
export type Comparator = (a: StoredDoc, b: StoredDoc) => number

export function sortKeysOf(sort: unknown): (readonly [parts: readonly string[], dir: 1 | -1])[] {
  if (sort === undefined || sort === null) return []
  if (!isPlainObject(sort))
    throw new QueryError(`a sort is an object of field paths to 1 or -1 (got ${describe(sort)})`)
  return Object.entries(sort).map(([path, dir]) => {
    if (dir !== 1 && dir !== -1)
      throw new QueryError(
        `the embedded store sorts by 1 or -1 per field (got ${JSON.stringify(path)}: ${describe(dir)})`,
      )
    const parts = path.split('.')
    if (parts.some((p) => p === '' || p.startsWith('$')))
      throw new QueryError(`cannot sort by ${JSON.stringify(path)}`)
    return [parts, dir] as const
  })
}

/** Sorts documents (a new array); ties by `_id`. */
export function sortDocuments(docs: readonly StoredDoc[], sort: unknown): StoredDoc[] {
  const keys = sortKeysOf(sort)
  if (keys.length === 0) return [...docs]
  const decorated = docs.map((doc) => ({
    doc,
    keys: keys.map(([parts, dir]) => extreme(sortKeys(doc, parts), dir)),
  }))
  decorated.sort((a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const c = compare(a.keys[i], b.keys[i])
      if (c !== 0) return c * keys[i][1]
    }
    return compare(a.doc._id, b.doc._id)
  })
  return decorated.map((d) => d.doc)
}

function extreme(values: readonly unknown[], dir: 1 | -1): unknown {
  let best = values[0]
  for (let i = 1; i < values.length; i++) if (compare(values[i], best) * dir < 0) best = values[i]
  return best
}
