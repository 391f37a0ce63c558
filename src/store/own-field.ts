/**
 * `obj[key] = value`, except that a field named `__proto__` (JSON.parse and BSON make it an own
 * field) stays a field instead of replacing the object's prototype.
 */
export function setField(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
  else obj[key] = value
}
