/** Where a `Cr` keeps its checked spec; a symbol so that `services` can tell a real `Cr` apart. */
export const SPEC = Symbol.for('levrt.spec')

/**
 * What `services` takes: a `Cr` (anything carrying a checked spec under the symbol only levrt
 * has). A plain object does not compile.
 */
export interface ServiceCr {
  readonly [SPEC]: unknown
}
