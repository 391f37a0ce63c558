import { EMPTY_ARRAY, isPlainObject, MISSING } from './order'

/**
 * Where a field path leads in a document, as MongoDB walks it. An array on the way is looked
 * into: each sub-document element is walked on with the same component; any other element, and
 * an empty array, lead nowhere (MISSING, which `{ 'a.b': null }` matches). A numeric component
 * also picks the element at that position. The path's own value, when an array, is given whole
 * and then element by element (`expanded`): most operators test both, `$size` and `$elemMatch`
 * only the whole array.
 */
export interface Reached {
  readonly value: unknown
  readonly expanded: boolean
}

export function reach(doc: unknown, parts: readonly string[]): Reached[] {
  const out: Reached[] = []
  walk(doc, parts, 0, out)
  return out
}

function walk(v: unknown, parts: readonly string[], i: number, out: Reached[]): void {
  if (i === parts.length) {
    out.push({ value: v === undefined ? MISSING : v, expanded: false })
    if (Array.isArray(v)) for (const e of v) out.push({ value: e, expanded: true })
    return
  }
  const key = parts[i]
  if (Array.isArray(v)) {
    const index = arrayIndex(key)
    if (v.length === 0) out.push({ value: MISSING, expanded: false })
    if (index !== undefined && index < v.length) walk(v[index], parts, i + 1, out)
    for (const e of v) {
      if (isPlainObject(e)) walk(e, parts, i, out)
      else if (index === undefined) out.push({ value: MISSING, expanded: false })
    }
    return
  }
  if (isPlainObject(v) && v[key] !== undefined) walk(v[key], parts, i + 1, out)
  else out.push({ value: MISSING, expanded: false })
}

/** A path component that may name an array position ('0', '12'; not '01' nor '-1'). */
export function arrayIndex(key: string): number | undefined {
  return /^(0|[1-9]\d{0,8})$/.test(key) ? Number(key) : undefined
}

/**
 * The sort keys of a document for a path, as MongoDB's index keys are made: every value the path
 * reaches, arrays at the path element by element (an empty one as EMPTY_ARRAY, which sorts first),
 * and null where the path leads nowhere. Ascending sorts use the smallest key, descending the largest.
 */
export function sortKeys(doc: unknown, parts: readonly string[]): unknown[] {
  const out: unknown[] = []
  keys(doc, parts, 0, out)
  return out
}

function keys(v: unknown, parts: readonly string[], i: number, out: unknown[]): void {
  if (i === parts.length) {
    if (!Array.isArray(v)) out.push(v === undefined ? null : v)
    else if (v.length === 0) out.push(EMPTY_ARRAY)
    else out.push(...(v as unknown[]))
    return
  }
  const key = parts[i]
  if (Array.isArray(v)) {
    const index = arrayIndex(key)
    if (index !== undefined && index < v.length) return keys(v[index], parts, i + 1, out)
    if (v.length === 0) out.push(null)
    for (const e of v) {
      if (isPlainObject(e)) keys(e, parts, i, out)
      else out.push(null)
    }
    return
  }
  if (isPlainObject(v) && v[key] !== undefined) keys(v[key], parts, i + 1, out)
  else out.push(null)
}
