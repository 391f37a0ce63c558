import { OptionsError } from './errors'
import { shown } from './shown'

/**
 * Runs without a schema are stored here (inside the namespace, like any other).
 *
 * ```ts
 * const doc = await new Cr('levrt/busybox', { cmd: ['echo', 'hi'] })
 * doc.coll.collectionName === DEFAULT_SCHEMA                                  // 'levrt/run@1.0'
 * await lev.ns('lab').run(() => new Cr('levrt/busybox', { cmd: ['true'] }))  // in 'lab|levrt/run@1.0'
 * ```
 */
export const DEFAULT_SCHEMA = 'levrt/run@1.0'

// Segments are what MongoDB accepts in a collection name and what reads well in one: no `|`
// (our namespace separator), `$`, `/`, `@` or white space.
const SEGMENT = '[A-Za-z0-9_][A-Za-z0-9_.-]*'
const SCHEMA_RE = new RegExp(`^(${SEGMENT})/(${SEGMENT})@(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)$`)
const NAMESPACE_RE = new RegExp(`^${SEGMENT}$`)

export function checkSchema(value: unknown, option = 'schema'): string {
  if (typeof value !== 'string' || !SCHEMA_RE.test(value)) {
    throw new OptionsError(
      option,
      `${shown(value)} is not of the form <namespace>/<name>@<major>.<minor> (e.g. talentsec/nmap@1.0)`,
    )
  }
  return value
}

export function checkNamespace(value: unknown): string {
  if (typeof value !== 'string' || !NAMESPACE_RE.test(value)) {
    throw new OptionsError(
      'namespace',
      `${shown(value)} must be letters, digits, '_', '.' or '-' (no '|', '/' or spaces)`,
    )
  }
  return value
}

/** `['httpbin', 'org']` + `ts/issues@1.0` -> `httpbin|org|ts/issues@1.0`. */
export function collectionName(namespace: readonly string[], schema: string): string {
  return [...namespace, schema].join('|')
}
