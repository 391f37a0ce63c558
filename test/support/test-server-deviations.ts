import type { Filter, FindOptions, StoredDoc } from '../../src/store'

/**
 * Corners where the MongoDB test server (FerretDB 1.x) answers differently from MongoDB's
 * documented semantics. The differential test accepts a difference from the test server only
 * for a document in one of these corners of the query; test/store-semantics.test.ts asserts the
 * embedded store's answer there against MongoDB's documented one, case by case.
 */
export const DEVIATIONS = {
  /** It refuses `$slice` projections and `$elemMatch` with `$ne` or `$not` (NotImplemented, code 238). */
  notImplemented: 'not implemented ($slice projections, $elemMatch with $ne or $not)',
  /** It refuses documents with arrays in arrays ("nested arrays are not supported"). */
  nestedArrays: 'arrays in arrays cannot be stored',
  /** It cannot store a field name holding a double quote ("malformed JSON"). */
  quotedNames: 'field names with a double quote cannot be stored',
  /** `$ne`, `$nin` and `$not` over values reached through an array (`'a.b'` over `a: [{ b: [...] }]`). */
  negatedThroughArray: '$ne, $nin or $not through an array of sub-documents',
  /** `$all` over values reached through an array of sub-documents finds nothing on FerretDB. */
  allThroughArray: '$all through an array of sub-documents',
  /**
   * An element of an array part-way along a path that is not a sub-document, or lacks the field,
   * and an empty array there, are missing in MongoDB: `{ 'a.b': null }` matches `a: [1, { b: 2 }]`,
   * `a: [{ c: 1 }]` and `a: []`. FerretDB skips such elements.
   */
  partWay: 'elements without the path, and empty arrays, part-way along a path',
  /** `$mod` over an array holding non-numbers ([443, true]): MongoDB tests each element. */
  modArray: '$mod over an array',
  /**
   * `$elemMatch` on FerretDB matches empty arrays, applies `$size` and `$type` to the array
   * itself, and misses null elements, Dates in sub-documents, elements lacking a field tested
   * for null and fields equal to an array: any document with an array there is a corner.
   */
  elemMatch: '$elemMatch over an array',
  /**
   * `$ne` / `$nin` with a sub-document or array operand: FerretDB matches documents without the
   * field even beside `$exists: true`.
   */
  negatedDocument: '$ne or $nin with a sub-document or an array',
  /** Sorting by a dotted path through an array: FerretDB sorts such documents as missing. */
  sortThroughArray: 'sort by a dotted path through an array',
} as const

export type Deviation = keyof typeof DEVIATIONS

/** The deviations whose corner this document is in, for the filter's conditions. */
export function matchDeviations(filter: Filter, doc: StoredDoc): Deviation[] {
  const found = new Set<Deviation>()
  for (const [path, condition] of clauses(filter)) {
    const parts = path.split('.')
    if (parts.length > 1 && partWay(doc, parts)) found.add('partWay')
    const ops = typeof condition === 'object' && condition !== null ? JSON.stringify(condition) : ''
    const arrays = arraysAt(doc, parts)
    if (ops.includes('"$mod"') && arrays.length > 0) found.add('modArray')
    if (negatesDocument(condition)) found.add('negatedDocument')
    if (parts.length > 1 && arrayOnTheWay(doc, parts)) {
      if (/"\$(ne|nin|not)"/.test(ops)) found.add('negatedThroughArray')
      if (ops.includes('"$all"')) found.add('allThroughArray')
    }
    if (ops.includes('"$elemMatch"') && arrays.length > 0) found.add('elemMatch')
  }
  return [...found]
}

/** The deviations that may reorder the answer (not change which documents match). */
export function shapeDeviations(options: FindOptions, docs: readonly StoredDoc[]): Deviation[] {
  const found = new Set<Deviation>()
  for (const path of Object.keys(options.sort ?? {})) {
    const parts = path.split('.')
    if (parts.length > 1 && docs.some((d) => arrayOnTheWay(d, parts))) found.add('sortThroughArray')
  }
  return [...found]
}

function clauses(filter: Filter): [string, unknown][] {
  return Object.entries(filter).flatMap(([k, v]): [string, unknown][] =>
    k === '$and' || k === '$or' || k === '$nor' ? (v as Filter[]).flatMap(clauses) : [[k, v]],
  )
}

/** An array before the last component: empty, or holding a non-document or a document without the rest. */
function partWay(v: unknown, parts: readonly string[]): boolean {
  if (parts.length === 0) return false
  if (Array.isArray(v))
    return v.length === 0 || v.some((e) => !isDoc(e) || e[parts[0]] === undefined || partWay(e, parts))
  return isDoc(v) && v[parts[0]] !== undefined && partWay(v[parts[0]], parts.slice(1))
}

function arraysAt(v: unknown, parts: readonly string[]): unknown[][] {
  if (parts.length === 0) return Array.isArray(v) ? [v] : []
  if (Array.isArray(v)) return v.flatMap((e) => arraysAt(e, parts))
  return isDoc(v) ? arraysAt(v[parts[0]], parts.slice(1)) : []
}

function arrayOnTheWay(v: unknown, parts: readonly string[]): boolean {
  if (parts.length === 0) return false
  if (Array.isArray(v)) return true
  return isDoc(v) && arrayOnTheWay(v[parts[0]], parts.slice(1))
}

function negatesDocument(condition: unknown): boolean {
  if (!isDoc(condition)) return false
  const operands = [condition.$ne, ...(Array.isArray(condition.$nin) ? condition.$nin : [])]
  return (
    operands.some((o) => (isDoc(o) && !(o instanceof Date)) || Array.isArray(o)) ||
    negatesDocument(condition.$not)
  )
}

function isDoc(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date)
}
