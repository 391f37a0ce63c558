import { EJSON } from 'bson'

/**
 * One difference between two runs' results, by field path: what `doc.changes()` lists.
 *
 * ```ts
 * for (const change of await doc.changes()) {
 *   if (change.op === 'changed') console.log(change.path.join('.'), change.before, '->', change.value)   // os Linux 5 -> Linux 6
 *   else console.log(change.op, change.path.join('.'), change.value)                                   // added open 8080
 * }
 * ```
 */
export type Change =
  | { readonly op: 'added'; readonly path: readonly string[]; readonly value: unknown }
  | { readonly op: 'removed'; readonly path: readonly string[]; readonly value: unknown }
  | {
      readonly op: 'changed'
      readonly path: readonly string[]
      readonly before: unknown
      readonly value: unknown
    }

/**
 * What changed from `before` to `after` (two `get()` results). Objects are compared field by
 * field; arrays as sets of values, so a finding that appears anywhere in a list is one `added`
 * at the list's path, and a list merely reordered has not changed. Other values are compared by
 * value (Dates, ObjectIds and the like by their EJSON form).
 */
export function diff(before: unknown, after: unknown, path: readonly string[] = []): Change[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const changes: Change[] = []
    for (const key of Object.keys(before)) {
      if (!(key in after)) changes.push({ op: 'removed', path: [...path, key], value: before[key] })
    }
    for (const key of Object.keys(after)) {
      const p = [...path, key]
      if (!(key in before)) changes.push({ op: 'added', path: p, value: after[key] })
      else changes.push(...diff(before[key], after[key], p))
    }
    return changes
  }
  if (Array.isArray(before) && Array.isArray(after)) return diffSets(before, after, path)
  return sameValue(before, after) ? [] : [{ op: 'changed', path, before, value: after }]
}

/** Arrays as multisets of values: each value added or removed is one change at the array's path. */
function diffSets(before: readonly unknown[], after: readonly unknown[], path: readonly string[]): Change[] {
  const remaining = new Map<string, number>()
  for (const value of before) remaining.set(canonical(value), (remaining.get(canonical(value)) ?? 0) + 1)
  const changes: Change[] = []
  for (const value of after) {
    const key = canonical(value)
    const left = remaining.get(key) ?? 0
    if (left > 0) remaining.set(key, left - 1)
    else changes.push({ op: 'added', path, value })
  }
  const removedKeys = new Map(remaining)
  for (const value of before) {
    const key = canonical(value)
    const left = removedKeys.get(key) ?? 0
    if (left > 0) {
      removedKeys.set(key, left - 1)
      changes.push({ op: 'removed', path, value })
    }
  }
  return changes
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || canonical(a) === canonical(b)
}

/** A value's identity for comparison: EJSON with object keys sorted, so key order does not count. */
export function canonical(value: unknown): string {
  return JSON.stringify(sortKeys(EJSON.serialize({ v: value }, { relaxed: false }).v))
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys(value[k])]),
    )
  }
  return value
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}
