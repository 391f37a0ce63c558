import { BSONRegExp, Binary, ObjectId, Timestamp } from 'bson'

/**
 * MongoDB's comparison order of values: first by the canonical rank of their BSON type (null and
 * missing < numbers < strings < objects < arrays < binary < ObjectId < booleans < Dates <
 * timestamps < regular expressions), then within the type. Strings by their UTF-8 bytes (the
 * code points' order, not JavaScript's UTF-16 units), objects field by field in stored order.
 */

/** A value or `MISSING` (the path leads nowhere): sorts and compares as null does. */
export const MISSING: unique symbol = Symbol('missing')
/** The sort key of an empty array: before null and missing, as MongoDB sorts `[]`. */
export const EMPTY_ARRAY: unique symbol = Symbol('empty array')
export type Value = unknown

export const RANK = {
  undefined: 0,
  null: 5,
  number: 10,
  string: 15,
  object: 20,
  array: 25,
  binary: 30,
  objectId: 35,
  boolean: 40,
  date: 45,
  timestamp: 47,
  regex: 50,
} as const

/** The canonical type rank of a value; undefined for a type this store does not order. */
export function rank(v: Value): number | undefined {
  if (v === null || v === MISSING) return RANK.null
  if (v === EMPTY_ARRAY) return RANK.undefined
  switch (typeof v) {
    case 'number':
      return RANK.number
    case 'string':
      return RANK.string
    case 'boolean':
      return RANK.boolean
    case 'object':
      break
    default:
      return undefined // undefined, bigint, function, symbol: not BSON values of this store
  }
  if (Array.isArray(v)) return RANK.array
  if (v instanceof Date) return RANK.date
  if (v instanceof ObjectId) return RANK.objectId
  if (v instanceof Binary) return RANK.binary
  if (v instanceof Timestamp) return RANK.timestamp
  if (v instanceof BSONRegExp || v instanceof RegExp) return RANK.regex
  return isPlainObject(v) ? RANK.object : undefined
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false
  const proto = Object.getPrototypeOf(v) as unknown
  return proto === Object.prototype || proto === null
}

/** Negative, zero or positive as `a` sorts before, with or after `b`. */
export function compare(a: Value, b: Value): number {
  const ra = rank(a) ?? 255
  const rb = rank(b) ?? 255
  if (ra !== rb) return ra - rb
  switch (ra) {
    case RANK.null:
    case RANK.undefined:
      return 0
    case RANK.number:
      return compareNumbers(a as number, b as number)
    case RANK.string:
      return compareStrings(a as string, b as string)
    case RANK.boolean:
      return Number(a) - Number(b)
    case RANK.date:
      return compareNumbers((a as Date).getTime(), (b as Date).getTime())
    case RANK.array:
      return compareArrays(a as unknown[], b as unknown[])
    case RANK.object:
      return compareObjects(a as Record<string, unknown>, b as Record<string, unknown>)
    case RANK.objectId:
      return compareStrings((a as ObjectId).toHexString(), (b as ObjectId).toHexString())
    case RANK.timestamp:
      return (a as Timestamp).compare(b as Timestamp)
    case RANK.binary:
      return compareBinary(a as Binary, b as Binary)
    case RANK.regex: {
      const [pa, pb] = [regexParts(a), regexParts(b)]
      return compareStrings(pa.pattern, pb.pattern) || compareStrings(pa.options, pb.options)
    }
    default:
      return 0
  }
}

export function equal(a: Value, b: Value): boolean {
  return compare(a, b) === 0
}

/** NaN sorts before every other number and equals itself, as in MongoDB. */
export function compareNumbers(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : -1) : 1
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * UTF-8 byte order. UTF-16 order differs from it only where a surrogate (a code point above
 * U+FFFF) meets a unit of U+E000..U+FFFF: shifting the surrogates above those fixes it.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return utf8Unit(x) - utf8Unit(y)
  }
  return a.length - b.length
}

function utf8Unit(c: number): number {
  return c >= 0xd800 && c <= 0xdfff ? c + 0x2000 : c >= 0xe000 ? c - 0x800 : c
}

function compareArrays(a: readonly unknown[], b: readonly unknown[]): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const c = compare(a[i], b[i])
    if (c !== 0) return c
  }
  return a.length - b.length
}

/** BSON's order of documents: per field in order, the value's type, then the name, then the value. */
function compareObjects(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const ka = Object.keys(a).filter((k) => a[k] !== undefined)
  const kb = Object.keys(b).filter((k) => b[k] !== undefined)
  const n = Math.min(ka.length, kb.length)
  for (let i = 0; i < n; i++) {
    const va = a[ka[i]]
    const vb = b[kb[i]]
    const c = (rank(va) ?? 255) - (rank(vb) ?? 255) || compareStrings(ka[i], kb[i]) || compare(va, vb)
    if (c !== 0) return c
  }
  return ka.length - kb.length
}

function compareBinary(a: Binary, b: Binary): number {
  const [x, y] = [a.value(), b.value()]
  if (x.length !== y.length) return x.length - y.length
  if (a.sub_type !== b.sub_type) return a.sub_type - b.sub_type
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] - y[i]
  return 0
}

export function regexParts(v: unknown): { pattern: string; options: string } {
  if (v instanceof RegExp) return { pattern: v.source, options: v.flags }
  const r = v as BSONRegExp
  return { pattern: r.pattern, options: r.options }
}
