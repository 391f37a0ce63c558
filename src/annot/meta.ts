import { checkMeta, metaFields } from './check-meta'
import type { Param } from './params'
import type { CatsInput, Export, Meta, MetaInput } from './types'

export { checkMeta } from './check-meta'
export type { Cats, CatsInput, Export, Meta, MetaInput, ParamArgs } from './types'

/** No `ext` given: an empty object of the module's own data. */
export type NoExt = Readonly<Record<never, never>>

/**
 * Describes a workflow module; export the result as `meta`. `levrt meta` prints it and
 * `levrt run` calls its exports with the `--param` values. Every field is optional, and the
 * seed's positional form `annot.meta(exports, desc, params, cats, tags, ext)` works too.
 *
 * ```ts
 * export const meta = annot.meta({
 *   exports: [raw, alive, portOs], desc: 'detect surviving hosts in LAN',
 *   params: [annot.param('ip', 'target ip to scan', { holder: '192.168.1.1/24' })],
 *   cats: { Attck: [Attck.Reconnaissance], BlackArch: [BlackArch.Scanner] },
 *   tags: ['nmap', 'scan'],
 * })
 * // or, positionally, listing every function the module exports:
 * export const meta = annot.meta(undefined, 'scan a host', [ip], [Attck.Discovery, BlackArch.Scanner])
 * ```
 * @throws OptionsError when a field is malformed (an export that is not a function, a param
 *   name used twice, a category that is not an enum member...), when the module loads.
 */
// NoInfer: P comes from `params` alone, and each export is checked against it.
export function meta<const P extends readonly Param[] = readonly [], const E extends object = NoExt>(
  input?: MetaInput<P, E>,
): Meta<P, E>
export function meta<const P extends readonly Param[] = readonly [], const E extends object = NoExt>(
  exports: readonly NoInfer<Export<P>>[] | undefined,
  desc?: string,
  params?: P,
  cats?: CatsInput,
  tags?: readonly string[],
  ext?: E,
): Meta<P, E>
export function meta(...args: unknown[]): Meta {
  return checkMeta(metaFields(args))
}
