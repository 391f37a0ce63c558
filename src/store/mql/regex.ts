import { BSONRegExp } from 'bson'
import { QueryError } from '../query-error'

/** MongoDB's regex options that JavaScript has the same meaning for. */
const FLAGS: Readonly<Record<string, string>> = { i: 'i', m: 'm', s: 's' }

export function isRegex(v: unknown): v is RegExp | BSONRegExp {
  return v instanceof RegExp || v instanceof BSONRegExp
}

/**
 * A MongoDB regular expression as a JavaScript one: options i, m and s; in Unicode mode (PCRE
 * matches code points, as the `u` flag does) when the pattern allows it. `x` and other options
 * are refused: JavaScript cannot honour them.
 */
export function toRegExp(pattern: unknown, options: unknown = ''): RegExp {
  let source: string
  let given: string
  if (pattern instanceof RegExp) [source, given] = [pattern.source, pattern.flags.replace(/[gyud]/g, '')]
  else if (pattern instanceof BSONRegExp) [source, given] = [pattern.pattern, pattern.options]
  else if (typeof pattern === 'string') [source, given] = [pattern, '']
  else throw new QueryError(`$regex takes a string or a regular expression (got ${describe(pattern)})`)
  if (typeof options !== 'string') throw new QueryError(`$options takes a string (got ${describe(options)})`)
  const flags = new Set<string>()
  for (const o of given + options) {
    if (o === 'u') continue // PCRE's UTF mode: always on here
    if (!FLAGS[o])
      throw new QueryError(
        `the embedded store does not support the regex option ${JSON.stringify(o)} (i, m and s are)`,
      )
    flags.add(FLAGS[o])
  }
  const f = [...flags].join('')
  try {
    return new RegExp(source, `${f}u`)
  } catch {
    try {
      return new RegExp(source, f)
    } catch (err) {
      throw new QueryError(`invalid regular expression /${source}/: ${(err as Error).message}`)
    }
  }
}

export function describe(v: unknown): string {
  if (v === undefined) return 'undefined'
  if (typeof v === 'symbol' || typeof v === 'bigint' || typeof v === 'function') return String(v)
  try {
    return JSON.stringify(v) ?? String(v)
  } catch {
    return String(v)
  }
}
