import { OptionsError } from '../errors'
import { isAttck, type Attck } from './attck'
import { isBlackArch, type BlackArch } from './blackarch'
import { checkParam } from './params'
import type { Meta } from './types'
import { shown } from '../shown'

const KEYS = ['exports', 'desc', 'params', 'cats', 'tags', 'ext'] as const
const CAT_KEYS = new Set(['Attck', 'BlackArch'])

/**
 * The fields of an `annot.meta(...)` call, in either form: one object (or nothing), or the
 * seed's positional `(exports, desc, params, cats, tags, ext)`, told apart by the first argument.
 */
export function metaFields(args: readonly unknown[]): unknown {
  const [first] = args
  const objectForm = first === undefined ? args.length <= 1 : isPlainObject(first)
  if (objectForm) {
    if (args.length > 1)
      throw new OptionsError('meta', 'the object form takes one argument: annot.meta({ exports, desc, ... })')
    return first ?? {}
  }
  if (args.length > KEYS.length)
    throw new OptionsError('meta', `takes at most ${KEYS.length} arguments: (${KEYS.join(', ')})`)
  return Object.fromEntries(
    args.map((value, i) => [KEYS[i], value]).filter(([, value]) => value !== undefined),
  )
}

/** Checks plain fields as `annot.meta` does (also a `meta` it made: the result is the same). */
export function checkMeta(input: unknown, where = 'meta'): Meta {
  if (!isPlainObject(input))
    throw new OptionsError(where, `expected { ${KEYS.map((k) => `${k}?`).join(', ')} }`)
  const fields = input as Record<string, unknown>
  unknownKey(fields, new Set(KEYS), where)
  const exports = fields.exports === undefined ? undefined : checkExports(fields.exports, `${where}.exports`)
  const desc = fields.desc ?? ''
  if (typeof desc !== 'string')
    throw new OptionsError(`${where}.desc`, `expected a string (got ${typeof desc})`)
  const params = list(fields.params ?? [], `${where}.params`, checkParam, (p) => p.name)
  const tags = list(fields.tags ?? [], `${where}.tags`, (tag, at) => {
    if (typeof tag !== 'string' || tag.trim() === '')
      throw new OptionsError(at, 'a tag is a non-empty string')
    return tag
  })
  const ext = fields.ext ?? {}
  if (typeof ext !== 'object' || ext === null || Array.isArray(ext)) {
    throw new OptionsError(`${where}.ext`, "expected an object of the module's own data")
  }
  try {
    JSON.stringify(ext) // `levrt meta` prints it as JSON: a BigInt or a cycle would fail there
  } catch (err) {
    throw new OptionsError(`${where}.ext`, `expected JSON data (${(err as Error).message})`)
  }
  return Object.freeze({
    exports,
    desc,
    params,
    cats: checkCats(fields.cats ?? {}, `${where}.cats`),
    tags,
    ext,
  })
}

function checkExports(value: unknown, where: string): readonly ((...args: never[]) => unknown)[] {
  const exports = list(value, where, (fn, at) => {
    if (typeof fn !== 'function') throw new OptionsError(at, `an export is a function (got ${typeof fn})`)
    return fn as (...args: never[]) => unknown
  })
  // An empty list is a mistake: leaving `exports` out is how a module offers all its functions.
  if (exports.length === 0) throw new OptionsError(where, 'list at least one function, or leave exports out')
  return exports
}

/** `{ Attck?, BlackArch? }`, or one list of members of either enum, as `{ Attck, BlackArch }`. */
function checkCats(cats: unknown, where: string): Meta['cats'] {
  if (Array.isArray(cats)) {
    const members = list(cats, where, (c, at) => {
      if (!isAttck(c) && !isBlackArch(c))
        throw new OptionsError(at, `not an Attck or BlackArch member (got ${shown(c)})`)
      return c
    })
    return Object.freeze({
      Attck: Object.freeze(members.filter((c): c is Attck => isAttck(c))),
      BlackArch: Object.freeze(members.filter((c): c is BlackArch => isBlackArch(c))),
    })
  }
  if (!isPlainObject(cats))
    throw new OptionsError(where, 'expected { Attck?, BlackArch? } or a list of their members')
  unknownKey(cats as Record<string, unknown>, CAT_KEYS, where)
  const { Attck: tactics = [], BlackArch: groups = [] } = cats as Record<string, unknown>
  const attck = list(tactics, `${where}.Attck`, (t, at) => {
    if (!isAttck(t)) throw new OptionsError(at, `not an Attck member (got ${shown(t)})`)
    return t
  })
  const blackArch = list(groups, `${where}.BlackArch`, (g, at) => {
    if (!isBlackArch(g)) throw new OptionsError(at, `not a BlackArch member (got ${shown(g)})`)
    return g
  })
  return Object.freeze({ Attck: attck, BlackArch: blackArch })
}

/** Checks each item of an array and refuses one listed twice (by `key`, default itself). */
function list<T>(
  value: unknown,
  where: string,
  check: (item: unknown, at: string) => T,
  key: (item: T) => unknown = (item) => item,
): readonly T[] {
  if (!Array.isArray(value)) throw new OptionsError(where, 'expected an array')
  const seen = new Map<unknown, number>()
  const items = value.map((item, i) => {
    const checked = check(item, `${where}[${i}]`)
    const first = seen.get(key(checked))
    if (first !== undefined)
      throw new OptionsError(`${where}[${i}]`, `the same as ${where}[${first}]: list each once`)
    seen.set(key(checked), i)
    return checked
  })
  return Object.freeze(items)
}

function unknownKey(fields: Record<string, unknown>, known: ReadonlySet<string>, where: string): void {
  const unknown = Object.keys(fields).find((k) => !known.has(k))
  if (unknown !== undefined)
    throw new OptionsError(`${where}.${unknown}`, `unknown field (known: ${[...known].join(', ')})`)
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
