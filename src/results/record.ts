import type { StoredDoc } from '../store'
import { setField } from '../store/own-field'

/** MongoDB's limit: a document nests at most 100 levels, itself the first. */
export const MAX_DEPTH = 100

/**
 * The record on one line, or why the line is not one. A record is a JSON object of fields that
 * both stores keep as they are, so what MongoDB refuses is refused here, for both: names
 * starting with `$` or holding a dot or NUL (the embedded store would also read `{"$date": ...}`
 * back as a Date), numbers out of range (`1e400`), unpaired surrogates (`"\ud800"`: MongoDB would
 * store U+FFFD), nesting past `MAX_DEPTH`, and `__proto__`. The top level also may not use `_id`, `_lev` or `''`.
 */
export function parseRecord(line: string): StoredDoc | string {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch (err) {
    return `not JSON (${(err as Error).message})`
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return 'a record is a JSON object of fields'
  for (const key of Object.keys(value)) {
    if (key === '_id' || key === '_lev') return `the field name ${key} is reserved`
    if (key === '') return 'the field name "" cannot be stored'
  }
  // The costlier checks run only when the text can hold what they look for.
  const look: Look = {
    dollar: line.includes('"$') || line.includes('\\u0024'),
    nul: line.includes('\\u0000'),
    surrogate: /\\u[dD][89a-fA-F]/.test(line),
  }
  return deepProblem(value, '', 1, look) ?? (value as StoredDoc)
}

interface Look {
  readonly dollar: boolean
  readonly nul: boolean
  readonly surrogate: boolean
}

/** In `u` mode a pair is one code point: only an unpaired half matches. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

function deepProblem(value: unknown, path: string, depth: number, look: Look): string | undefined {
  if (typeof value === 'string')
    return look.surrogate && LONE_SURROGATE.test(value)
      ? `the string at ${path} is not valid Unicode`
      : undefined
  if (typeof value === 'number')
    return Number.isFinite(value) ? undefined : `the number at ${path} is out of range`
  if (typeof value !== 'object' || value === null) return undefined
  if (depth > MAX_DEPTH) return `the record nests deeper than ${MAX_DEPTH} levels (at ${path})`
  const array = Array.isArray(value)
  for (const key in value) {
    const at = path === '' ? key : `${path}.${key}`
    if (!array) {
      const problem = nameProblem(key, look)
      if (problem) return `the field name ${JSON.stringify(key)} at ${at} cannot be stored (${problem})`
    }
    const problem = deepProblem((value as Record<string, unknown>)[key], at, depth + 1, look)
    if (problem) return problem
  }
  return undefined
}

function nameProblem(key: string, look: Look): string | undefined {
  // Code that copies a document with Object.assign or `obj[key] =` would set its prototype.
  if (key === '__proto__') return 'JavaScript takes it for the prototype'
  if (look.dollar && key.charCodeAt(0) === 36) return 'no leading $'
  if (key.includes('.')) return 'no dots'
  if (look.nul && key.includes('\0')) return 'no NUL'
  if (look.surrogate && LONE_SURROGATE.test(key)) return 'not valid Unicode'
  return undefined
}

/** `Object.assign(into, record)`, except that a field named `__proto__` stays a field. */
export function mergeRecord(into: StoredDoc, record: StoredDoc): void {
  for (const key of Object.keys(record)) setField(into, key, record[key])
}
