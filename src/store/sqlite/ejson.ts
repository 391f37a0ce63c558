import { EJSON } from 'bson'
import type { StoredDoc } from '../store'

/**
 * `EJSON.parse(text, { relaxed: true })`, about three times faster for typical results: plain
 * JSON.parse, then only the objects with a `$` key (`{"$date": ...}` and the other EJSON type
 * wrappers) go through bson's own conversion. EJSON.parse calls a reviver on every value, which
 * dominates reading a large answer.
 */
export function parseDocument(text: string): StoredDoc {
  return revive(JSON.parse(text)) as StoredDoc
}

function revive(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i])
    return value
  }
  const obj = value as Record<string, unknown>
  for (const key in obj) {
    if (key.charCodeAt(0) !== 36) continue // '$'
    // The common case, done as bson does it: a Date in the ISO form relaxed EJSON writes.
    if (key === '$date' && typeof obj.$date === 'string' && Object.keys(obj).length === 1)
      return new Date(Date.parse(obj.$date))
    return EJSON.deserialize(obj, { relaxed: true })
  }
  for (const key in obj) obj[key] = revive(obj[key])
  return obj
}
