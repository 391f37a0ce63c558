import { ENTRY, type Entry, type EntryPayload } from './entry'
import { entryOrigin } from './entry-origin'
import { OptionsError } from './errors'

/**
 * What survives JSON unchanged: the only values an entry can be given.
 *
 * ```ts
 * const entry = remote(async (lev, target: string, opts: { ports: number[] }) => lev.set({ target, ...opts }))
 * entry('example.com', { ports: [22, 80] })                      // Json arguments
 * remote(async (lev, since: Date) => lev.set({ since }))         // does not compile: pass since.toISOString()
 * ```
 */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json }

/**
 * The `lev` an entry gets inside the container.
 *
 * ```ts
 * remote(async (lev: ContainerLev, host: string) => {
 *   lev.set({ host, open: [] })        // on disk before it returns: kept even if the run is killed
 *   lev.set({ open: [22, 80] })        // later values win: { host, open: [22, 80] }
 * })
 * ```
 */
export interface ContainerLev {
  /** Merges fields into this run's document; later values win. Stored before it returns. */
  set(data: Record<string, unknown>): void
}

/**
 * `remote(fn)`: call it with the entry's arguments, or pass it as is when it takes none.
 *
 * ```ts
 * const probe: Remote<[host: string, port: number]> = remote(async (lev, host: string, port: number) => lev.set({ host, port }))
 * new Cr('levrt/node:20', 'ts/probe@1.0', { entry: probe('example.com', 443) })
 * const hello: Remote<[]> = remote(async (lev) => lev.set({ hello: 'world' }))
 * new Cr('levrt/busybox', { entry: hello })
 * ```
 */
export type Remote<A extends readonly Json[]> = ((...args: A) => Entry) & Entry

/**
 * Makes an entry from a function that runs inside the container with the image's node. The
 * function is shipped as source: it may not use variables of the host module, only its
 * arguments (JSON values), node's own modules (`require`) and the `lev` it is given.
 *
 * ```ts
 * const entry = remote(async (lev, target: string) => lev.set({ target }))
 * new Cr('levrt/node:20', 'ts/issues@1.0', { entry: entry('example.com') })
 * ```
 */
export function remote<A extends readonly Json[]>(fn: (lev: ContainerLev, ...args: A) => unknown): Remote<A> {
  if (typeof fn !== 'function') throw new OptionsError('entry', 'remote() takes a function')
  const source = fn.toString()
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw new OptionsError(
      'entry',
      'remote() needs a function written in JavaScript or TypeScript, not a built-in or bound one',
    )
  }
  // remote()'s caller is one frame up: the file whose source map places the function.
  const origin = entryOrigin(fn, source, 1)
  const make = (...args: A): Entry => {
    checkJson(args, 'args')
    return { [ENTRY]: { source, args: JSON.stringify(args), origin } }
  }
  const payload: EntryPayload = { source, args: '[]', origin }
  return Object.assign(make, { [ENTRY]: payload })
}

/** Throws an `OptionsError` naming the first value that JSON would change or drop. */
function checkJson(value: unknown, path: string, seen = new Set<object>()): void {
  const refuse = (what: string) => {
    throw new OptionsError(`entry ${path}`, `${what} does not survive JSON; entries get JSON values only`)
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return
    case 'number':
      if (!Number.isFinite(value)) refuse(String(value))
      return
    case 'undefined':
      return refuse('undefined')
    case 'bigint':
      return refuse('a bigint')
    case 'function':
      return refuse('a function')
    case 'symbol':
      return refuse('a symbol')
  }
  if (value === null) return
  const obj = value as object
  if (seen.has(obj)) refuse('a circular reference')
  seen.add(obj)
  if (Array.isArray(obj)) {
    obj.forEach((item, i) => checkJson(item, `${path}[${i}]`, seen))
  } else {
    const proto = Object.getPrototypeOf(obj)
    if (proto !== Object.prototype && proto !== null)
      refuse(`a ${proto?.constructor?.name ?? 'class'} instance`)
    for (const [k, v] of Object.entries(obj)) checkJson(v, `${path}.${k}`, seen)
  }
  seen.delete(obj)
}
