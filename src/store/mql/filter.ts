import { QueryError } from '../query-error'
import type { Filter, StoredDoc } from '../store'
import { compare, compareNumbers, equal, isPlainObject, MISSING, rank, RANK } from './order'
import { reach, type Reached } from './path'
import { describe, isRegex, toRegExp } from './regex'
import { typeTest } from './types'

/**
 * MongoDB's query language, compiled once per query into a test of documents. Every operator
 * looks into arrays as MongoDB does (see path.ts); anything this store cannot answer exactly as
 * MongoDB does is refused with a QueryError when the query is compiled, before any read.
 */
export type Matcher = (doc: StoredDoc) => boolean
/** A test of what a path reaches in one document. */
type Test = (reached: readonly Reached[]) => boolean

export function compileFilter(filter: unknown): Matcher {
  if (filter === undefined || filter === null) return () => true
  if (!isPlainObject(filter)) throw new QueryError(`a filter is an object (got ${describe(filter)})`)
  return compileDocument(filter)
}

function compileDocument(filter: Filter): Matcher {
  const parts: Matcher[] = []
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' || key === '$or' || key === '$nor') parts.push(logical(key, value))
    else if (key === '$comment') continue
    else if (key.startsWith('$')) throw new QueryError(`the embedded store does not support ${key}`)
    else parts.push(field(key, value))
  }
  return (doc) => parts.every((p) => p(doc))
}

function logical(op: '$and' | '$or' | '$nor', value: unknown): Matcher {
  if (!Array.isArray(value) || value.length === 0)
    throw new QueryError(`${op} takes a non-empty array of filters`)
  const subs = value.map((f) => {
    if (!isPlainObject(f)) throw new QueryError(`${op} takes filters (objects), got ${describe(f)}`)
    return compileDocument(f)
  })
  if (op === '$and') return (doc) => subs.every((s) => s(doc))
  if (op === '$or') return (doc) => subs.some((s) => s(doc))
  return (doc) => !subs.some((s) => s(doc))
}

function field(path: string, condition: unknown): Matcher {
  const parts = path.split('.')
  if (parts.some((p) => p === ''))
    throw new QueryError(`${JSON.stringify(path)} is not a field path (an empty component)`)
  const test = conditionTest(condition)
  return (doc) => test(reach(doc, parts))
}

/** `{ path: condition }`: operators, a regular expression, or a value to equal. */
function conditionTest(condition: unknown): Test {
  if (isRegex(condition)) return regexTest(toRegExp(condition), condition)
  if (isOperatorObject(condition)) return operators(condition)
  return eqTest(literal(condition, 'a value'))
}

function isOperatorObject(v: unknown): v is Record<string, unknown> {
  if (!isPlainObject(v)) return false
  const keys = Object.keys(v)
  if (keys.length === 0 || !keys[0].startsWith('$')) return false
  const plain = keys.find((k) => !k.startsWith('$'))
  if (plain !== undefined)
    throw new QueryError(`an object mixes operators and the field ${JSON.stringify(plain)}`)
  return true
}

function operators(ops: Record<string, unknown>): Test {
  const tests: Test[] = []
  for (const [op, arg] of Object.entries(ops)) {
    if (op === '$options') {
      if (!('$regex' in ops)) throw new QueryError('$options needs a $regex')
      continue
    }
    tests.push(operator(op, arg, ops))
  }
  return (r) => tests.every((t) => t(r))
}

function operator(op: string, arg: unknown, all: Record<string, unknown>): Test {
  switch (op) {
    case '$eq':
      return eqTest(literal(arg, op))
    case '$ne':
      if (isRegex(arg)) throw new QueryError('$ne takes no regular expression (use $not)')
      return not(eqTest(literal(arg, op)))
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return rangeTest(op, literal(arg, op))
    case '$in':
      return inTest(arg, op)
    case '$nin':
      return not(inTest(arg, op))
    case '$exists': {
      const want = arg !== false && arg !== 0 && arg !== null
      return (r) => r.some((x) => x.value !== MISSING) === want
    }
    case '$type': {
      const test = typeTest(arg)
      return (r) => r.some((x) => x.value !== MISSING && test(x.value))
    }
    case '$size':
      if (typeof arg !== 'number' || !Number.isInteger(arg) || arg < 0)
        throw new QueryError(`$size takes a whole number ≥ 0 (got ${describe(arg)})`)
      return (r) => r.some((x) => !x.expanded && Array.isArray(x.value) && x.value.length === arg)
    case '$all':
      return allTest(arg)
    case '$elemMatch':
      return elemMatchTest(arg)
    case '$not':
      if (isRegex(arg)) return not(regexTest(toRegExp(arg), arg))
      if (!isPlainObject(arg) || Object.keys(arg).length === 0 || !isOperatorObject(arg))
        throw new QueryError('$not takes a regular expression or an object of operators')
      return not(operators(arg))
    case '$regex':
      return regexTest(toRegExp(arg, all.$options ?? ''), arg)
    case '$mod':
      return modTest(arg)
    default:
      throw new QueryError(`the embedded store does not support the operator ${op}`)
  }
}

/** A value to compare with: a BSON value this store orders (undefined is null, as the driver sends it). */
function literal(v: unknown, where: string): unknown {
  if (v === undefined) return null
  if (rank(v) === undefined)
    throw new QueryError(`the embedded store cannot compare with ${describe(v)} (in ${where})`)
  if (isPlainObject(v) || Array.isArray(v))
    for (const x of Object.values(v)) if (x !== undefined) literal(x, where)
  return v
}

function not(t: Test): Test {
  return (r) => !t(r)
}

/** Equal to the value, or an array there holds an element equal to it; missing equals null. */
function eqTest(v: unknown): Test {
  return (r) => r.some((x) => equal(x.value, v))
}

/**
 * Ranges compare within the value's type only (`{ $gt: 5 }` matches numbers, never strings);
 * null and missing are one type. NaN is only equal to itself.
 */
function rangeTest(op: '$gt' | '$gte' | '$lt' | '$lte', v: unknown): Test {
  if (isRegex(v)) throw new QueryError(`${op} takes no regular expression`)
  const t = rank(v)
  const nan = typeof v === 'number' && Number.isNaN(v)
  const holds = (c: number) => (op === '$gt' ? c > 0 : op === '$gte' ? c >= 0 : op === '$lt' ? c < 0 : c <= 0)
  return (r) =>
    r.some((x) => {
      if (rank(x.value) !== t) return false
      if (t === RANK.number && (nan || Number.isNaN(x.value as number))) {
        return nan && Number.isNaN(x.value as number) && op !== '$gt' && op !== '$lt'
      }
      return holds(t === RANK.number ? compareNumbers(x.value as number, v as number) : compare(x.value, v))
    })
}

function inTest(arg: unknown, op: string): Test {
  if (!Array.isArray(arg)) throw new QueryError(`${op} takes an array (got ${describe(arg)})`)
  const tests = arg.map((v): Test => {
    if (isRegex(v)) return regexTest(toRegExp(v), v)
    if (isOperatorObject(v)) throw new QueryError(`${op} takes values, not operators (got ${describe(v)})`)
    return eqTest(literal(v, op))
  })
  return (r) => tests.some((t) => t(r))
}

/** Strings the expression matches (and stored regular expressions equal to it). */
function regexTest(re: RegExp, given: unknown): Test {
  return (r) =>
    r.some((x) =>
      typeof x.value === 'string' ? re.test(x.value) : isRegex(x.value) && equal(x.value, given),
    )
}

function allTest(arg: unknown): Test {
  if (!Array.isArray(arg)) throw new QueryError(`$all takes an array (got ${describe(arg)})`)
  if (arg.length === 0) return () => false
  const tests = arg.map((v): Test => {
    if (isPlainObject(v) && Object.keys(v)[0] === '$elemMatch') {
      if (Object.keys(v).length !== 1) throw new QueryError('$all takes { $elemMatch } objects alone')
      return elemMatchTest(v.$elemMatch)
    }
    return conditionTest(
      isOperatorObject(v) ? fail(`$all takes values or { $elemMatch } (got ${describe(v)})`) : v,
    )
  })
  return (r) => tests.every((t) => t(r))
}

/** An element of an array at the path (not the path's own value) meets every condition. */
function elemMatchTest(arg: unknown): Test {
  if (!isPlainObject(arg)) throw new QueryError(`$elemMatch takes an object (got ${describe(arg)})`)
  const keys = Object.keys(arg)
  const valueForm =
    keys.length > 0 &&
    keys.every(
      (k) =>
        k.startsWith('$') && !['$and', '$or', '$nor', '$where', '$expr', '$text', '$comment'].includes(k),
    )
  let element: (e: unknown) => boolean
  if (valueForm) {
    const test = operators(arg)
    element = (e) => test([{ value: e, expanded: false }])
  } else {
    const match = compileDocument(arg)
    element = (e) => (isPlainObject(e) ? match(e) : Array.isArray(e) && match({ ...e }))
  }
  return (r) => r.some((x) => !x.expanded && Array.isArray(x.value) && x.value.some(element))
}

/** `{ $mod: [divisor, remainder] }`: numbers whose integer part has that remainder. */
function modTest(arg: unknown): Test {
  const valid =
    Array.isArray(arg) && arg.length === 2 && arg.every((n) => typeof n === 'number' && Number.isFinite(n))
  if (!valid)
    throw new QueryError(`$mod takes [divisor, remainder], two finite numbers (got ${describe(arg)})`)
  const [d, rem] = (arg as number[]).map(Math.trunc)
  if (d === 0) throw new QueryError('$mod cannot divide by 0')
  return (r) =>
    r.some((x) => typeof x.value === 'number' && Number.isFinite(x.value) && Math.trunc(x.value) % d === rem)
}

function fail(message: string): never {
  throw new QueryError(message)
}
