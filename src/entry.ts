/**
 * An entry is code shipped into the container: the function's source and its JSON arguments.
 * `remote()` makes them; this module only defines the shape so options can be checked.
 */
import type { EntryOrigin } from './entry-origin'

export const ENTRY = Symbol.for('levrt.entry')

export interface EntryPayload {
  /** The function's source, as the host's JavaScript engine prints it. */
  readonly source: string
  /** JSON text of the argument list. */
  readonly args: string
  /** The user's file and line of each source line, for stacks; not part of the run key. */
  readonly origin?: EntryOrigin
}

/**
 * What `remote(fn)` or `remote(fn)(...args)` gives: pass it as a Cr's `entry`.
 *
 * ```ts
 * const hello = remote(async (lev) => lev.set({ hello: 'world' }))
 * const greet = remote(async (lev, name: string) => lev.set({ hello: name }))
 * const entries: Entry[] = [hello, greet('levrt')]     // remote(fn) itself, or called with its arguments
 * for (const entry of entries) await new Cr('levrt/busybox', { entry })
 * ```
 */
export interface Entry {
  /** @internal */
  readonly [ENTRY]: EntryPayload
}

export function isEntry(value: unknown): value is Entry {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as Partial<Entry>)[ENTRY]?.source === 'string'
  )
}
