import fc from 'fast-check'

/**
 * Generated documents and queries for the differential test (test/store-differential.test.ts):
 * nmap-like shapes over a few field names, so that queries often hit something: nested arrays,
 * sub-documents, arrays of sub-documents, nulls, missing fields, Dates and mixed types.
 */

export const TOP = ['a', 'b', 'c'] as const
/** The paths queries, sorts and projections use (and the indexed store indexes). */
export const PATHS = ['a', 'b', 'c', 'a.x', 'a.y', 'b.x', 'c.x', 'a.x.y'] as const

const DATES = [new Date('2024-01-01T00:00:00Z'), new Date('2025-06-01T12:00:00Z')]
const STRINGS = ['', 'a', 'ab', 'B', 'é', 'ｆｕｌｌ', '😀', 'mail.example']
const NUMBERS = [0, 1, 2, -3, 2.5, 22, 443]

export const scalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...NUMBERS),
  fc.constantFrom(...STRINGS),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(...DATES),
)

const { value } = fc.letrec<{ value: unknown; sub: Record<string, unknown>; arr: unknown[] }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { arbitrary: scalar, weight: 4 },
    { arbitrary: tie('sub'), weight: 2 },
    { arbitrary: tie('arr'), weight: 2 },
  ),
  sub: fc.record({ x: tie('value'), y: tie('value') }, { requiredKeys: [] }),
  arr: fc.array(tie('value'), { maxLength: 3, depthIdentifier: 'arr' }),
}))

export const documents: fc.Arbitrary<Record<string, unknown>[]> = fc.array(
  fc.record({ a: value, b: value, c: value }, { requiredKeys: [] }),
  { minLength: 20, maxLength: 40 },
)

const path = fc.constantFrom(...PATHS)
/** Values a query compares with: mostly scalars, sometimes a small array or sub-document. */
const operand: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: scalar, weight: 6 },
  { arbitrary: fc.array(scalar, { maxLength: 2 }), weight: 1 },
  { arbitrary: fc.record({ x: scalar }), weight: 1 },
)

const regex = fc.constantFrom('^a', 'b$', 'é', '^$', '^m', 'A')
const TYPES = ['double', 'string', 'object', 'array', 'bool', 'date', 'null', 'int', 'number']

const valueOp: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ $eq: operand }),
  fc.record({ $ne: operand }),
  fc.constantFrom('$gt', '$gte', '$lt', '$lte').chain((op) => operand.map((v) => ({ [op]: v }))),
  fc.record({ $gt: scalar, $lt: scalar }),
  fc.record({ $in: fc.array(operand, { maxLength: 3 }) }),
  fc.record({ $nin: fc.array(operand, { maxLength: 3 }) }),
  fc.record({ $exists: fc.boolean() }),
  fc.record({ $type: fc.constantFrom(...TYPES) }),
  fc.record({ $size: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ $all: fc.array(scalar, { minLength: 1, maxLength: 2 }) }),
  fc.record({ $regex: regex }),
  fc.record({ $mod: fc.constantFrom([2, 0], [2, 1], [3, 1]) }),
)

const condition: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: operand, weight: 3 },
  { arbitrary: valueOp, weight: 6 },
  { arbitrary: valueOp.map((op) => ({ $not: op })), weight: 1 },
  { arbitrary: valueOp.map((op) => ({ $elemMatch: op })), weight: 1 },
  { arbitrary: fc.record({ x: operand }).map((f) => ({ $elemMatch: f })), weight: 1 },
  { arbitrary: fc.tuple(valueOp, valueOp).map(([p, q]) => ({ ...p, ...q })), weight: 1 },
)

const clause = fc.tuple(path, condition).map(([p, c]) => ({ [p]: c }))

export const filters: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  { arbitrary: clause, weight: 6 },
  { arbitrary: fc.constant({}), weight: 1 },
  { arbitrary: fc.tuple(clause, clause).map(([p, q]) => ({ ...p, ...q })), weight: 2 },
  {
    arbitrary: fc
      .constantFrom('$and', '$or', '$nor')
      .chain((op) => fc.array(clause, { minLength: 1, maxLength: 3 }).map((fs) => ({ [op]: fs }))),
    weight: 2,
  },
)

/** Paths to include or exclude: at most one per top-level field (MongoDB refuses colliding paths). */
const projected = fc.uniqueArray(fc.constantFrom(...TOP, 'a.x', 'b.y'), {
  minLength: 1,
  maxLength: 2,
  selector: (p) => p.split('.')[0],
})
/** `$slice` is rare: the test server does not implement it (test/store-semantics.test.ts covers it). */
const projection: fc.Arbitrary<Record<string, unknown> | undefined> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  { arbitrary: projected.map((ps) => Object.fromEntries(ps.map((p) => [p, 1]))), weight: 3 },
  { arbitrary: projected.map((ps) => Object.fromEntries(ps.map((p) => [p, 0]))), weight: 3 },
  {
    arbitrary: fc
      .tuple(fc.constantFrom(...TOP), fc.constantFrom(1, -1, 2))
      .map(([p, n]) => ({ [p]: { $slice: n } })),
    weight: 1,
  },
)

/** find's options; every sort ends with `_id`, so that the order of ties is defined on every store. */
export const options = fc.record(
  {
    sort: fc
      .uniqueArray(fc.tuple(path, fc.constantFrom(1 as const, -1 as const)), {
        maxLength: 2,
        selector: ([p]) => p,
      })
      .map((keys) => ({ ...Object.fromEntries(keys), _id: 1 as const })),
    skip: fc.integer({ min: 0, max: 5 }),
    limit: fc.integer({ min: 0, max: 10 }),
    projection,
  },
  { requiredKeys: [] },
)
