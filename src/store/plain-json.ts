/** A document's fields (Fields, named here without importing the store's types). */
type Fields = Record<string, unknown>

/** Marks fields made by JSON.parse alone: no Dates or other BSON types anywhere in them. */
const PLAIN_JSON = Symbol.for('levrt.plainJson')

/**
 * Brands `fields` as plain JSON, so a store may write them as JSON text as they are. The mark is
 * a non-enumerable symbol: copies, JSON and BSON do not carry it.
 */
export function markPlainJson<T extends Fields>(fields: T): T {
  Object.defineProperty(fields, PLAIN_JSON, { value: true })
  return fields
}

export function isPlainJson(fields: Fields): boolean {
  return (fields as Record<symbol, unknown>)[PLAIN_JSON] === true
}
