import type { Attck } from './attck'
import type { BlackArch } from './blackarch'
import type { Param, ParamType } from './params'

/**
 * The arguments an export receives: one per param, in `params` order.
 *
 * ```ts
 * const params = [
 *   annot.param('ip', 'target ip', { holder: '10.0.0.1' }),
 *   annot.param('top', 'ports', { holder: '100', type: 'number', default: 100 }),
 * ] as const
 * type Args = ParamArgs<typeof params>          // readonly [string, number]
 * const portOs = (...[ip, top]: Args) =>
 *   new Cr('levkit/nmap:1.0', { cmd: ['nmap', '--top-ports', String(top), ip] })
 * export const meta = annot.meta({ exports: [portOs], desc: 'open ports', params })
 * ```
 */
export type ParamArgs<P extends readonly Param[]> = {
  readonly [K in keyof P]: P[K] extends Param<string, ParamType, infer V> ? V : never
}

/** A function `levrt run` may call with the params' values, in order. */
export type Export<P extends readonly Param[]> = (...args: ParamArgs<P>) => unknown

/**
 * Categories: ATT&CK tactics and BlackArch groups. Only the enums' members compile.
 *
 * ```ts
 * const cats: Cats = { Attck: [Attck.Reconnaissance, Attck.Discovery], BlackArch: [BlackArch.Recon] }
 * export const meta = annot.meta({ exports: [lab], desc: 'map the lab network', cats })
 * // { Attck: ['TA0043'] } or { BlackArch: [Attck.Impact] } does not compile
 * ```
 */
export interface Cats {
  readonly Attck?: readonly Attck[]
  readonly BlackArch?: readonly BlackArch[]
}

/**
 * What `cats` takes: the `{ Attck, BlackArch }` object, or one list mixing members of both
 * enums, as the seed allows (`[Attck.Discovery, BlackArch.Scanner]`).
 */
export type CatsInput = Cats | readonly (Attck | BlackArch)[]

/**
 * What `annot.meta` takes, every field optional as in the seed.
 *
 * ```ts
 * export const meta = annot.meta({
 *   exports: [portOs], desc: 'open ports and an OS guess',          // portOs(ip: string, top: number)
 *   params: [
 *     annot.param('ip', 'target ip', { holder: '10.0.0.1' }),
 *     annot.param('top', 'ports', { holder: '100', type: 'number', default: 100 }),
 *   ],
 *   cats: [Attck.Reconnaissance, BlackArch.Scanner], tags: ['nmap'], ext: { author: 'lab team' },
 * })
 * ```
 */
export interface MetaInput<P extends readonly Param[] = readonly Param[], E extends object = object> {
  /**
   * The functions `levrt run` may call; each must accept the params' values in order. Left
   * out: every function the module exports.
   */
  // NoInfer: P comes from `params` alone, and each export is checked against it.
  readonly exports?: readonly NoInfer<Export<P>>[]
  /** One line on what the module does (default `''`). */
  readonly desc?: string
  readonly params?: P
  readonly cats?: CatsInput
  readonly tags?: readonly string[]
  /** The module's own data, kept as given (default `{}`). */
  readonly ext?: E
}

/**
 * A module's description, as `annot.meta` returns it: checked, defaults filled in, frozen
 * (but `ext`, the module's own object, is kept as given).
 *
 * ```ts
 * import { meta } from './nmap'
 * const help = (m: Meta) => m.params.map((p) => `--param ${p.name}=${p.holder}`).join(' ')
 * help(meta)                  // '--param ip=192.168.1.1/24'
 * meta.cats.BlackArch         // ['blackarch-scanner']
 * ```
 */
export interface Meta<P extends readonly Param[] = readonly Param[], E extends object = object> {
  /** `undefined` when left out: `levrt run` and `levrt meta` then take the module's exported functions. */
  readonly exports: readonly ((...args: never[]) => unknown)[] | undefined
  readonly desc: string
  readonly params: P
  readonly cats: { readonly Attck: readonly Attck[]; readonly BlackArch: readonly BlackArch[] }
  readonly tags: readonly string[]
  readonly ext: E
}
