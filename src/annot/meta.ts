import { OptionsError } from '../errors'
import { Attck, isAttck } from './attck'
import { BlackArch, isBlackArch } from './blackarch'
import { checkParam, type Param, type ParamType } from './params'

/**
 * The arguments an export receives: one per param, in `params` order.
 *
 * ```ts
 * const params = [annot.param('ip', 'target ip', { holder: '10.0.0.1' }), annot.param('top', 'ports', { holder: '100', type: 'number', default: 100 })] as const
 * type Args = ParamArgs<typeof params>          // readonly [string, number]
 * const portOs = (...[ip, top]: Args) => new Cr('levkit/nmap:1.0', { cmd: ['nmap', '--top-ports', String(top), ip] })
 * export const meta = annot.meta({ exports: [portOs], desc: 'open ports', params })
 * ```
 */
export type ParamArgs<P extends readonly Param[]> = {
  readonly [K in keyof P]: P[K] extends Param<string, ParamType, infer V> ? V : never
}

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
 * What `annot.meta` takes.
 *
 * ```ts
 * export const meta = annot.meta({
 *   exports: [portOs], desc: 'open ports and an OS guess',          // portOs(ip: string, top: number)
 *   params: [annot.param('ip', 'target ip', { holder: '10.0.0.1' }), annot.param('top', 'ports', { holder: '100', type: 'number', default: 100 })],
 *   cats: { Attck: [Attck.Reconnaissance] }, tags: ['nmap'],
 * })
 * ```
 */
export interface MetaInput<P extends readonly Param[]> {
  /** The functions `levrt run` may call; each must accept the params' values in order. */
  readonly exports: readonly ((...args: ParamArgs<P>) => unknown)[]
  /** One line on what the module does. */
  readonly desc: string
  readonly params?: P
  readonly cats?: Cats
  readonly tags?: readonly string[]
}

/**
 * A module's description, as `annot.meta` returns it: checked, defaults filled in, frozen.
 *
 * ```ts
 * import { meta } from './nmap'
 * const help = (m: Meta) => m.params.map((p) => `--param ${p.name}=${p.holder}`).join(' ')
 * help(meta)                  // '--param ip=192.168.1.1/24'
 * meta.cats.BlackArch         // ['blackarch-scanner']
 * ```
 */
export interface Meta<P extends readonly Param[] = readonly Param[]> {
  readonly exports: readonly ((...args: never[]) => unknown)[]
  readonly desc: string
  readonly params: P
  readonly cats: { readonly Attck: readonly Attck[]; readonly BlackArch: readonly BlackArch[] }
  readonly tags: readonly string[]
}

const KEYS = new Set(['exports', 'desc', 'params', 'cats', 'tags'])
const CAT_KEYS = new Set(['Attck', 'BlackArch'])

/**
 * Describes a workflow module; export the result as `meta`. `levrt meta` prints it and
 * `levrt run` calls its exports with the `--param` values.
 *
 * ```ts
 * export const meta = annot.meta({
 *   exports: [raw, alive, portOs], desc: 'detect surviving hosts in LAN',
 *   params: [annot.param('ip', 'target ip to scan', { holder: '192.168.1.1/24' })],
 *   cats: { Attck: [Attck.Reconnaissance], BlackArch: [BlackArch.Scanner] },
 *   tags: ['nmap', 'scan'],
 * })
 * ```
 * @throws OptionsError when a field is malformed (an export that is not a function, a param
 *   name used twice, a category that is not an enum member...), when the module loads.
 */
export function meta<const P extends readonly Param[] = readonly []>(input: MetaInput<P>): Meta<P> {
  return checkMeta(input) as Meta<never> as Meta<P>
}

/** Checks plain fields as `annot.meta` does (also a `meta` it made: the result is the same). */
export function checkMeta(input: unknown, where = 'meta'): Meta {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new OptionsError(where, 'expected { exports, desc, params?, cats?, tags? }')
  const fields = input as Record<string, unknown>
  unknownKey(fields, KEYS, where)
  const exports = list(fields.exports, `${where}.exports`, (fn, at) => {
    if (typeof fn !== 'function') throw new OptionsError(at, `an export is a function (got ${typeof fn})`)
    return fn as (...args: never[]) => unknown
  })
  if (exports.length === 0) throw new OptionsError(`${where}.exports`, 'list at least one function')
  if (typeof fields.desc !== 'string' || fields.desc.trim() === '') throw new OptionsError(`${where}.desc`, 'a module needs a description')
  const params = list(fields.params ?? [], `${where}.params`, checkParam, (p) => p.name)
  const cats = fields.cats ?? {}
  if (typeof cats !== 'object' || cats === null || Array.isArray(cats)) throw new OptionsError(`${where}.cats`, 'expected { Attck?, BlackArch? }')
  unknownKey(cats as Record<string, unknown>, CAT_KEYS, `${where}.cats`)
  const { Attck: tactics = [], BlackArch: groups = [] } = cats as Record<string, unknown>
  const attck = list(tactics, `${where}.cats.Attck`, (t, at) => {
    if (!isAttck(t)) throw new OptionsError(at, `not an Attck member (got ${JSON.stringify(t)})`)
    return t
  })
  const blackArch = list(groups, `${where}.cats.BlackArch`, (g, at) => {
    if (!isBlackArch(g)) throw new OptionsError(at, `not a BlackArch member (got ${JSON.stringify(g)})`)
    return g
  })
  const tags = list(fields.tags ?? [], `${where}.tags`, (tag, at) => {
    if (typeof tag !== 'string' || tag.trim() === '') throw new OptionsError(at, 'a tag is a non-empty string')
    return tag
  })
  return Object.freeze({
    exports,
    desc: fields.desc,
    params,
    cats: Object.freeze({ Attck: attck, BlackArch: blackArch }),
    tags,
  })
}

/** Checks each item of an array and refuses one listed twice (by `key`, default itself). */
function list<T>(value: unknown, where: string, check: (item: unknown, at: string) => T, key: (item: T) => unknown = (item) => item): readonly T[] {
  if (!Array.isArray(value)) throw new OptionsError(where, 'expected an array')
  const seen = new Map<unknown, number>()
  const items = value.map((item, i) => {
    const checked = check(item, `${where}[${i}]`)
    const first = seen.get(key(checked))
    if (first !== undefined) throw new OptionsError(`${where}[${i}]`, `the same as ${where}[${first}]: list each once`)
    seen.set(key(checked), i)
    return checked
  })
  return Object.freeze(items)
}

function unknownKey(fields: Record<string, unknown>, known: ReadonlySet<string>, where: string): void {
  const unknown = Object.keys(fields).find((k) => !known.has(k))
  if (unknown !== undefined) throw new OptionsError(`${where}.${unknown}`, `unknown field (known: ${[...known].join(', ')})`)
}
