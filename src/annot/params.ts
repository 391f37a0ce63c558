import { OptionsError } from '../errors'
import { shown } from '../shown'

/**
 * What a `--param` value is converted to before the export gets it, by `type`.
 *
 * ```ts
 * const top = annot.param('top', 'how many ports', { holder: '100', type: 'number', default: 100 })
 * type Top = ParamTypes[typeof top.type]      // number: `--param top=50` reaches the export as 50
 * ```
 */
export interface ParamTypes {
  string: string
  number: number
  boolean: boolean
}
/**
 * A param's `type`: `'string'` (the default), `'number'` or `'boolean'`.
 *
 * ```ts
 * annot.param('verbose', 'print every probe', { holder: 'true', type: 'boolean', default: false })   // --param verbose=true
 * const numeric = meta.params.filter((p) => p.type === 'number')
 * ```
 */
export type ParamType = keyof ParamTypes

/** @internal Phantom key: the argument type an export receives for a param. Never set. */
declare const PARAM_VALUE: unique symbol

/**
 * One argument of a module's exports, made by `annot.param`. `levrt run` passes `--param`
 * values to an export in the order its module's `meta.params` lists them.
 *
 * ```ts
 * const ip = annot.param('ip', 'target ip to scan', { holder: '192.168.1.1/24' })
 * ip.required                 // true: `levrt run` wants --param ip=...
 * for (const p of meta.params) console.log(`--param ${p.name}=${p.holder}`, p.required ? '' : `(default ${p.default})`)
 * ```
 */
export interface Param<N extends string = string, T extends ParamType = ParamType, V = unknown> {
  readonly name: N
  readonly description: string
  /** An example value, for help and listings, e.g. `'192.168.1.1/24'`. */
  readonly holder: string
  readonly type: T
  /** `levrt run` refuses to run an export that takes this param without it. */
  readonly required: boolean
  /** Given to the export when `--param` leaves it out. */
  readonly default?: ParamTypes[T]
  /** @internal */
  readonly [PARAM_VALUE]?: V
}

/**
 * Options of a param with a default: never required.
 *
 * ```ts
 * annot.param('top', 'how many of the commonest ports', { holder: '100', type: 'number', default: 100 })
 * // the export gets a number: 100 unless --param top=... says otherwise; adding `required: true` does not compile
 * ```
 */
export interface ParamWithDefault<T extends ParamType> {
  /** An example value, for help and listings, e.g. `'192.168.1.1/24'`. */
  readonly holder: string
  /** How the command line's text is converted: `'string'` (the default), `'number'` or `'boolean'`. */
  readonly type?: T
  readonly default: ParamTypes[T]
  readonly required?: false
}
/**
 * Options of a param without a default: required unless `required: false`.
 *
 * ```ts
 * annot.param('ip', 'target ip to scan', { holder: '192.168.1.1/24' })                      // the export gets a string
 * annot.param('port', 'only this port', { holder: '443', type: 'number', required: false }) // number | undefined
 * ```
 */
export interface ParamWithoutDefault<T extends ParamType> {
  /** An example value, for help and listings, e.g. `'192.168.1.1/24'`. */
  readonly holder: string
  /** How the command line's text is converted: `'string'` (the default), `'number'` or `'boolean'`. */
  readonly type?: T
  readonly default?: undefined
  readonly required?: boolean
}
/**
 * The options of `annot.param`: `holder`, `type?`, and `default` or `required?`.
 *
 * ```ts
 * const top = { holder: '100', type: 'number', default: 100 } as const satisfies ParamOptions<'number'>
 * annot.param('top', 'how many of the commonest ports', top)
 * ```
 */
export type ParamOptions<T extends ParamType = ParamType> = ParamWithDefault<T> | ParamWithoutDefault<T>

const TYPES: readonly ParamType[] = ['string', 'number', 'boolean']
const OPTION_KEYS = new Set(['holder', 'type', 'default', 'required'])
/** Usable as `--param name=value` on a command line. */
const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/

/**
 * Declares a param of a module's exports.
 *
 * ```ts
 * annot.param('ip', 'target ip to scan', { holder: '192.168.1.1/24' })                   // required string
 * annot.param('top', 'ports to scan', { holder: '100', type: 'number', default: 100 })   // optional number
 * ```
 * @throws OptionsError for an unusable name, an empty description, an unknown option, or a
 *   default of another type than `type`.
 */
// NoInfer: inside `annot.meta({ params: [...] })` the list's contextual type would otherwise
// widen T to every ParamType, and the exports' argument types with it.
export function param<const N extends string, T extends ParamType = 'string'>(
  name: N,
  description: string,
  options: ParamWithDefault<T>,
): Param<N, NoInfer<T>, ParamTypes[NoInfer<T>]>
export function param<const N extends string, T extends ParamType = 'string'>(
  name: N,
  description: string,
  options: ParamWithoutDefault<T> & { readonly required: false },
): Param<N, NoInfer<T>, ParamTypes[NoInfer<T>] | undefined>
export function param<const N extends string, T extends ParamType = 'string'>(
  name: N,
  description: string,
  options: ParamWithoutDefault<T> & { readonly required?: true },
): Param<N, NoInfer<T>, ParamTypes[NoInfer<T>]>
export function param(name: string, description: string, options: ParamOptions): Param {
  const where = `annot.param(${shown(name)})`
  if (!isObject(options))
    throw new OptionsError(where, 'expected options { holder, type?, default?, required? }')
  const unknown = Object.keys(options).find((key) => !OPTION_KEYS.has(key))
  if (unknown !== undefined)
    throw new OptionsError(`${where}.${unknown}`, `unknown option (known: ${[...OPTION_KEYS].join(', ')})`)
  return checkParam({ ...options, name, description }, where)
}

/** A param from plain fields (`annot.param`'s, or one in a `meta.params` list), checked and frozen. */
export function checkParam(input: unknown, where: string): Param {
  if (!isObject(input)) throw new OptionsError(where, 'expected a param made by annot.param')
  const {
    name,
    description,
    holder,
    type = 'string',
    required,
    default: fallback,
    ...rest
  } = input as Record<string, unknown>
  const unknown = Object.keys(rest)
  if (unknown.length)
    throw new OptionsError(
      `${where}.${unknown[0]}`,
      `unknown field (known: name, description, ${[...OPTION_KEYS].join(', ')})`,
    )
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new OptionsError(
      `${where}.name`,
      `a param name is letters, digits, _ and -, starting with a letter or _ (got ${show(name)})`,
    )
  }
  if (typeof description !== 'string' || description.trim() === '')
    throw new OptionsError(`${where}.description`, 'a param needs a description')
  if (typeof holder !== 'string')
    throw new OptionsError(`${where}.holder`, `expected an example value as a string (got ${show(holder)})`)
  if (!TYPES.includes(type as ParamType))
    throw new OptionsError(`${where}.type`, `expected one of ${TYPES.join(', ')} (got ${show(type)})`)
  if (required !== undefined && typeof required !== 'boolean')
    throw new OptionsError(`${where}.required`, `expected a boolean (got ${show(required)})`)
  if (fallback !== undefined) {
    if (typeof fallback !== type || (type === 'number' && !Number.isFinite(fallback))) {
      throw new OptionsError(
        `${where}.default`,
        `expected a ${type as string} like the param's type (got ${show(fallback)})`,
      )
    }
    if (required === true)
      throw new OptionsError(`${where}.required`, 'a param with a default is not required')
  }
  return Object.freeze({
    name,
    description,
    holder,
    type: type as ParamType,
    required: required ?? fallback === undefined,
    ...(fallback === undefined ? {} : { default: fallback as ParamTypes[ParamType] }),
  })
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function show(value: unknown): string {
  return typeof value === 'function' ? 'a function' : shown(value)
}
