import type { StoredDoc } from './store'

/** Marks fields made by JSON.parse alone: no Dates or other BSON types anywhere in them. */
const PLAIN_JSON = Symbol.for('levrt.plainJson')

/**
 * Brands `fields` as plain JSON, so a store may write them as JSON text as they are. The mark is
 * a non-enumerable symbol: copies, JSON and BSON do not carry it.
 */
export function markPlainJson<T extends StoredDoc>(fields: T): T {
  Object.defineProperty(fields, PLAIN_JSON, { value: true })
  return fields
}

export function isPlainJson(fields: StoredDoc): boolean {
  return (fields as Record<symbol, unknown>)[PLAIN_JSON] === true
}
