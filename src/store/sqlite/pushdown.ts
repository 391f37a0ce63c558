import type { Filter, Sort } from '../store'
import { OBJECT_ELEMENT, pathLiteral, shapeCodes, shapeExpr, splitPath, valueExpr } from './paths'

/**
 * MongoDB filters as a SQL prefilter: the rows it selects are a superset of the documents the
 * filter matches (the matcher, ../mql, then applies the filter exactly), never fewer. What it does not
 * understand ($regex, $exists, $elemMatch, Dates, null...) it leaves out, which only widens the
 * candidates. Pushed down: equality, $in and ranges on strings and numbers (equality on
 * booleans), on `_id` and on any other field path, and $and/$or of those.
 */

export type SqlValue = string | number

/**
 * What one read snapshot knows of an indexed path: `pure` no document holds anything but
 * numbers, strings or null there; `booleans` booleans too; `mixed` some hold an array (at the
 * path or part-way) or an object (a Date, a sub-document). Unindexed paths are not probed.
 */
export type PathShape = 'unindexed' | 'pure' | 'booleans' | 'mixed'

export interface PushdownContext {
  shape(parts: readonly string[]): PathShape
  /** The multikey table of an indexed path (see indexes.ts). */
  elements(parts: readonly string[]): string
}

export interface Pushdown {
  /** An SQL boolean expression over the row (`id`, `doc`). */
  readonly where: string
  readonly params: readonly SqlValue[]
  /** The rows are exactly the matches: no need to test them with the matcher. */
  readonly exact: boolean
}

const ANYTHING: Pushdown = { where: '1', params: [], exact: true }
const UNPUSHED: Pushdown = { where: '1', params: [], exact: false }
const NOTHING: Pushdown = { where: '0', params: [], exact: true }

type Scalar = string | number | boolean
type Op =
  | { readonly kind: 'in'; readonly values: readonly Scalar[] }
  | { readonly kind: 'cmp'; readonly op: '>' | '>=' | '<' | '<='; readonly value: string | number }

/** Over 500 `$in` values the statement text and the IN list stop paying for themselves. */
const MAX_IN = 500

export function pushdown(filter: Filter, ctx: PushdownContext): Pushdown {
  return and(Object.entries(filter).map(([key, value]) => clause(key, value, ctx)))
}

/**
 * ORDER BY for a sort SQL can do as MongoDB does: `_id`, or indexed paths holding only numbers,
 * strings and null (SQL orders those as MongoDB does: null and missing first, then numbers, then
 * strings by UTF-8 bytes). Undefined when the matcher's sort must sort. Ties go by `_id`.
 */
export function orderBy(sort: Sort | undefined, ctx: PushdownContext): string | undefined {
  const keys = Object.entries(sort ?? {})
  if (keys.length === 0) return 'rid'
  const terms: string[] = []
  for (const [path, dir] of keys) {
    if (dir !== 1 && dir !== -1) return undefined
    const parts = path === '_id' ? undefined : splitPath(path)
    if (path !== '_id' && (!parts || ctx.shape(parts) !== 'pure')) return undefined
    terms.push(`${parts ? valueExpr(parts) : 'id'} ${dir === 1 ? 'ASC' : 'DESC'}`)
  }
  if (!('_id' in (sort ?? {}))) terms.push('id ASC')
  return terms.join(', ')
}

function clause(key: string, value: unknown, ctx: PushdownContext): Pushdown {
  if (key === '$and' && Array.isArray(value)) return and(value.map((f) => subFilter(f, ctx)))
  if (key === '$or' && Array.isArray(value) && value.length > 0)
    return or(value.map((f) => subFilter(f, ctx)))
  if (key.startsWith('$')) return UNPUSHED // $nor, $expr, $where, $text, $comment...
  return key === '_id' ? idClause(value) : fieldClause(key, value, ctx)
}

function subFilter(f: unknown, ctx: PushdownContext): Pushdown {
  return isPlainObject(f) ? pushdown(f, ctx) : UNPUSHED
}

/** `_id` is always a string column and never an array: its conditions are exact. */
function idClause(value: unknown): Pushdown {
  const { ops, complete } = scalarOps(value)
  if (ops.length === 0 || !ops.every(onlyStrings)) return UNPUSHED
  return and([...ops.map((op) => opSql('id', op)), complete ? ANYTHING : UNPUSHED])
}

function fieldClause(path: string, value: unknown, ctx: PushdownContext): Pushdown {
  const parts = splitPath(path)
  const { ops, complete } = parts ? scalarOps(value) : { ops: [], complete: false }
  if (!parts || ops.length === 0) return UNPUSHED
  const shape = ctx.shape(parts)
  const scalar = and(ops.map((op) => opSql(valueExpr(parts), op)))
  if (shape === 'pure' || shape === 'booleans') {
    // Equality on strings is exact here; numbers too when no boolean hides as 0/1. Ranges are
    // checked again by the matcher (both order strings by UTF-8 bytes; the prefilter only narrows).
    const exact =
      complete &&
      ops.every(
        (op) =>
          op.kind === 'in' &&
          (onlyStrings(op) || (shape === 'pure' && op.values.every((v) => typeof v === 'number'))),
      )
    return { ...scalar, exact }
  }
  // An array on the way or an object there (a Date, NaN, Infinity): such documents stay
  // candidates. An array at the path itself is looked into: each condition may hold for a
  // different element, as in MongoDB, so each is its own lookup.
  const shapeSql = shapeExpr(parts)
  const { leafArray, object } = shapeCodes(parts)
  if (shape === 'mixed') {
    // Indexed: each OR branch is an index search (value index, shape index, multikey table).
    const table = ctx.elements(parts)
    const elements = and(
      ops.map((op) => {
        const cond = opSql('v', op)
        return {
          where: `rid IN (SELECT rid FROM ${table} WHERE ${cond.where} OR v = ${OBJECT_ELEMENT})`,
          params: cond.params,
          exact: false,
        }
      }),
    )
    const partWay = leafArray > 1 ? ` OR ${shapeSql} BETWEEN 1 AND ${leafArray - 1}` : ''
    return {
      where: `(${scalar.where}${partWay} OR ${shapeSql} = ${object} OR (${elements.where}))`,
      params: [...scalar.params, ...elements.params],
      exact: false,
    }
  }
  // Not indexed: checked row by row, in SQL.
  const elements = and(
    ops.map((op) => {
      const cond = opSql('value', op)
      return {
        where:
          `EXISTS (SELECT 1 FROM json_each(doc, ${pathLiteral(parts)}) ` +
          `WHERE ${cond.where} OR type = 'object')`,
        params: cond.params,
        exact: false,
      }
    }),
  )
  return {
    where:
      `(${scalar.where} OR (${shapeSql} BETWEEN 1 AND ${object} ` +
      `AND (${shapeSql} <> ${leafArray} OR ${elements.where})))`,
    params: [...scalar.params, ...elements.params],
    exact: false,
  }
}

/** The conditions SQL can check on one value; `complete` is false when some were left to the matcher. */
function scalarOps(value: unknown): { ops: Op[]; complete: boolean } {
  if (!isOperatorObject(value))
    return isScalar(value)
      ? { ops: [{ kind: 'in', values: [value] }], complete: true }
      : { ops: [], complete: false }
  const ops: Op[] = []
  let complete = true
  for (const [op, arg] of Object.entries(value)) {
    if (op === '$eq' && isScalar(arg)) ops.push({ kind: 'in', values: [arg] })
    else if (op === '$in' && Array.isArray(arg) && arg.length <= MAX_IN && arg.every(isScalar))
      ops.push({ kind: 'in', values: arg })
    else if (CMP[op] && (typeof arg === 'string' || typeof arg === 'number') && isScalar(arg))
      ops.push({ kind: 'cmp', op: CMP[op], value: arg })
    else complete = false
  }
  return { ops, complete }
}

const CMP: Readonly<Record<string, '>' | '>=' | '<' | '<=' | undefined>> = {
  $gt: '>',
  $gte: '>=',
  $lt: '<',
  $lte: '<=',
}

/**
 * One condition on an SQL value. Ranges are bracketed by type as MongoDB's are: SQL orders
 * numbers < text < blobs, so '' and X'' bound the numbers and the strings.
 */
function opSql(expr: string, op: Op): Pushdown {
  if (op.kind === 'in') {
    if (op.values.length === 0) return NOTHING
    const params = op.values.map((v) => (typeof v === 'boolean' ? Number(v) : v))
    const where = params.length === 1 ? `${expr} = ?` : `${expr} IN (${params.map(() => '?').join(', ')})`
    return { where, params, exact: true }
  }
  const upward = op.op === '>' || op.op === '>='
  const bracket =
    typeof op.value === 'number' ? (upward ? `${expr} < ''` : '') : upward ? `${expr} < X''` : `${expr} >= ''`
  return {
    where: bracket ? `(${expr} ${op.op} ? AND ${bracket})` : `${expr} ${op.op} ?`,
    params: [op.value],
    exact: true,
  }
}

function and(parts: readonly Pushdown[]): Pushdown {
  if (parts.some((p) => p.where === '0' && p.exact)) return NOTHING
  const real = parts.filter((p) => p.where !== '1')
  const exact = parts.every((p) => p.exact)
  if (real.length === 0) return exact ? ANYTHING : UNPUSHED
  if (real.length === 1) return { ...real[0], exact }
  return {
    where: real.map((p) => `(${p.where})`).join(' AND '),
    params: real.flatMap((p) => p.params),
    exact,
  }
}

function or(parts: readonly Pushdown[]): Pushdown {
  const exact = parts.every((p) => p.exact)
  if (parts.some((p) => p.where === '1')) return exact ? ANYTHING : UNPUSHED
  const real = parts.filter((p) => p.where !== '0')
  if (real.length === 0) return NOTHING
  return { where: real.map((p) => `(${p.where})`).join(' OR '), params: real.flatMap((p) => p.params), exact }
}

function onlyStrings(op: Op): boolean {
  return op.kind === 'in' ? op.values.every((v) => typeof v === 'string') : typeof op.value === 'string'
}

/**
 * Values SQL compares exactly as JavaScript does. Not numbers of 2^53 and beyond: JSON text
 * such as 1152921504606847000 (2^60 as JSON.stringify writes it) is an exact SQL integer, a
 * little off the double it stands for.
 */
function isScalar(v: unknown): v is Scalar {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Math.abs(v) < 2 ** 53)
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false
  const proto = Object.getPrototypeOf(v) as unknown
  return proto === Object.prototype || proto === null
}

function isOperatorObject(v: unknown): v is Record<string, unknown> {
  return isPlainObject(v) && Object.keys(v).length > 0 && Object.keys(v).every((k) => k.startsWith('$'))
}
