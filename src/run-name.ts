import { OptionsError } from './errors'
import { shown } from './shown'

/** A run's name: what the live log, the bookkeeping and `levrt find` show instead of `curl-1`. */
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$/

/** The `name` option: undefined, or a name of letters, digits, `_ . : -` (at most 63, one word for the log). */
export function parseName(name: unknown): string | undefined {
  if (name === undefined) return undefined
  if (typeof name !== 'string' || !NAME_RE.test(name))
    throw new OptionsError(
      'name',
      `${shown(name)} is not a run name: 1 to 63 letters, digits, _ . : or -, starting with a letter or digit (e.g. 'curl-web-80')`,
    )
  return name
}
