/**
 * Compose interpolation (the compose specification's "Interpolation"): `$$` is a `$`, `$VAR`
 * and `${VAR}` a variable, `${VAR:-default}`/`${VAR-default}` one with a default (when unset or
 * empty / when unset), `${VAR:?err}`/`${VAR?err}` one that must be set, `${VAR:+alt}`/`${VAR+alt}`
 * an alternative. Defaults may themselves hold `${...}`.
 *
 * `FLAG` is not a value here but a place: the create's flag is only known at deploy (and never
 * kept in a plan), so it comes out as a FlagRef piece that the backend fills in.
 */

/** The variable a create's flag is given as. */
export const FLAG_VARIABLE = 'FLAG'

/** Where the create's flag goes in an interpolated string. */
export interface FlagRef {
  readonly flag: true
  /** `${FLAG:-x}`: what to write when the flag is empty. */
  readonly otherwise?: string
  /** `${FLAG:?err}`: the create must give a non-empty flag; `err` says why. */
  readonly required?: string
}

export type Piece = string | FlagRef

export type Interpolated = { readonly pieces: readonly Piece[] } | { readonly error: string }

const NAME = /^[_a-zA-Z][_a-zA-Z0-9]*/
const BRACED = /^([_a-zA-Z][_a-zA-Z0-9]*)(?:(:?[-?+])([\s\S]*))?$/

export function isFlagRef(p: Piece): p is FlagRef {
  return typeof p !== 'string'
}

/** Interpolates `text` with `vars` (never the host's environment). */
export function interpolate(text: string, vars: ReadonlyMap<string, string>): Interpolated {
  const pieces: Piece[] = []
  const push = (p: Piece) => {
    const last = pieces[pieces.length - 1]
    if (typeof p === 'string' && typeof last === 'string') pieces[pieces.length - 1] = last + p
    else if (p !== '') pieces.push(p)
  }
  for (let i = 0; i < text.length;) {
    const at = text.indexOf('$', i)
    if (at < 0) {
      push(text.slice(i))
      break
    }
    push(text.slice(i, at))
    const next = text[at + 1]
    if (next === '$') {
      push('$')
      i = at + 2
      continue
    }
    if (next === '{') {
      const end = closing(text, at + 2)
      if (end < 0) return { error: `"\${" at ${at} has no closing "}" (write $$ for a literal $)` }
      const got = braced(text.slice(at + 2, end), vars)
      if ('error' in got) return got
      got.pieces.forEach(push)
      i = end + 1
      continue
    }
    const name = NAME.exec(text.slice(at + 1))?.[0]
    if (!name) return { error: `a lone "$" at ${at} (write $$ for a literal $, as the shell's own $1 or $?)` }
    const got = variable(name, undefined, '', vars)
    if ('error' in got) return got
    got.pieces.forEach(push)
    i = at + 1 + name.length
  }
  return { pieces }
}

/** The text, when it holds no flag. */
export function textOf(pieces: readonly Piece[]): string | undefined {
  return pieces.every((p) => typeof p === 'string') ? pieces.join('') : undefined
}

/** The pieces with the flag filled in (null: none given, i.e. empty). */
export function render(pieces: readonly Piece[], flag: string | null): string {
  return pieces.map((p) => (typeof p === 'string' ? p : flag ? flag : (p.otherwise ?? ''))).join('')
}

/** The index of the `}` closing a `${` whose content starts at `from`, counting nested `${`. */
function closing(text: string, from: number): number {
  let depth = 1
  for (let i = from; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '$') i++
    else if (text[i] === '$' && text[i + 1] === '{') {
      depth++
      i++
    } else if (text[i] === '}' && --depth === 0) return i
  }
  return -1
}

function braced(inner: string, vars: ReadonlyMap<string, string>): Interpolated {
  const m = BRACED.exec(inner)
  if (!m)
    return {
      error: `"\${${inner}}" is not a variable (names are letters, digits and _; write $$ for a literal $)`,
    }
  return variable(m[1], m[2], m[3] ?? '', vars)
}

function variable(
  name: string,
  op: string | undefined,
  arg: string,
  vars: ReadonlyMap<string, string>,
): Interpolated {
  const argument = (): Interpolated => interpolate(arg, vars)
  if (name === FLAG_VARIABLE) return flagPlace(op, argument)
  const value = vars.get(name)
  const unset = value === undefined
  const empty = unset || value === ''
  switch (op) {
    case undefined:
      if (unset) return { error: unsetMessage(name) }
      return { pieces: [value] }
    case ':-':
      return empty ? argument() : { pieces: [value!] }
    case '-':
      return unset ? argument() : { pieces: [value] }
    case ':?':
    case '?': {
      if (!(op === ':?' ? empty : unset)) return { pieces: [value!] }
      const why = argument()
      const said = 'pieces' in why ? textOf(why.pieces) : undefined
      return {
        error:
          `variable ${name} is required${said ? `: ${said}` : ''} ` +
          '(set it in the .env file beside the compose file)',
      }
    }
    case ':+':
      return empty ? { pieces: [] } : argument()
    default:
      return unset ? { pieces: [] } : argument()
  }
}

/** FLAG is always set (to the create's flag, or empty when the create gave none). */
function flagPlace(op: string | undefined, argument: () => Interpolated): Interpolated {
  if (op === undefined || op === '-' || op === '?') return { pieces: [{ flag: true }] }
  if (op === '+') return argument()
  if (op === ':+')
    return {
      error: '${FLAG:+...} is not supported: write ${FLAG} (the flag is empty when the create gives none)',
    }
  const arg = argument()
  if ('error' in arg) return arg
  const text = textOf(arg.pieces)
  if (text === undefined) return { error: 'the default of ${FLAG:-...} cannot hold the flag itself' }
  return {
    pieces: [
      op === ':-'
        ? { flag: true, otherwise: text }
        : { flag: true, required: text || 'the flag is required' },
    ],
  }
}

function unsetMessage(name: string): string {
  return (
    `variable ${name} is not set: the service passes none of its host's environment; ` +
    `set ${name}=... in the .env file beside the compose file, or write \${${name}:-default}`
  )
}
