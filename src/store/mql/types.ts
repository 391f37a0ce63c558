import { Binary, BSONRegExp, ObjectId, Timestamp } from 'bson'
import { QueryError } from '../query-error'
import { isPlainObject } from './order'
import { describe } from './regex'

/**
 * `$type` by alias or BSON type number. A JavaScript number is an int when it fits 32 bits (the
 * driver stores it so), else a double.
 */
const TYPES: Readonly<Record<string, (v: unknown) => boolean>> = {
  double: (v) => typeof v === 'number' && !isInt32(v),
  string: (v) => typeof v === 'string',
  object: isPlainObject,
  array: Array.isArray,
  binData: (v) => v instanceof Binary,
  objectId: (v) => v instanceof ObjectId,
  bool: (v) => typeof v === 'boolean',
  date: (v) => v instanceof Date,
  null: (v) => v === null,
  regex: (v) => v instanceof RegExp || v instanceof BSONRegExp,
  int: (v) => typeof v === 'number' && isInt32(v),
  timestamp: (v) => v instanceof Timestamp,
  long: () => false, // relaxed EJSON turns longs into numbers: the store holds none
  decimal: () => false,
  number: (v) => typeof v === 'number',
}

const NUMBERS: Readonly<Record<number, string>> = {
  1: 'double',
  2: 'string',
  3: 'object',
  4: 'array',
  5: 'binData',
  7: 'objectId',
  8: 'bool',
  9: 'date',
  10: 'null',
  11: 'regex',
  16: 'int',
  17: 'timestamp',
  18: 'long',
  19: 'decimal',
}

function isInt32(v: number): boolean {
  return Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31 && !Object.is(v, -0)
}

/** A test of `$type`'s argument: an alias, a type number, or a list of those. */
export function typeTest(arg: unknown): (v: unknown) => boolean {
  const list = Array.isArray(arg) ? arg : [arg]
  if (list.length === 0) throw new QueryError('$type needs at least one type')
  const tests = list.map((t) => {
    const name = typeof t === 'number' ? NUMBERS[t] : t
    const test = typeof name === 'string' && Object.hasOwn(TYPES, name) ? TYPES[name] : undefined
    if (!test) throw new QueryError(`the embedded store does not support $type ${describe(t)}`)
    return test
  })
  return (v) => tests.some((t) => t(v))
}
