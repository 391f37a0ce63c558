import { interpolate, isFlagRef, render, type Piece } from './interpolate'
import { dotted, type Problems } from './problems'
import { FLAG_ELSEWHERE } from './reasons'

/** A document with every string value interpolated; environment values holding the flag kept aside. */
export interface InterpolatedDoc {
  readonly doc: unknown
  /** By `flaggedKey(service, entry)`: the pieces of an environment value that holds the flag. */
  readonly flagged: ReadonlyMap<string, readonly Piece[]>
}

export function flaggedKey(service: string, entry: string | number): string {
  return `${service}\u0000${entry}`
}

/**
 * Interpolates every string value of the file (not keys: compose does not either) with the
 * file's variables. The flag may only land in an environment value: there it is kept as
 * pieces (the document gets the text without it); anywhere else it is a problem.
 */
export function interpolateDoc(
  doc: unknown,
  vars: ReadonlyMap<string, string>,
  problems: Problems,
): InterpolatedDoc {
  const flagged = new Map<string, readonly Piece[]>()
  const walk = (value: unknown, path: readonly (string | number)[]): unknown => {
    if (typeof value === 'string') return text(value, path)
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i]))
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k])]))
    }
    return value
  }
  const text = (value: string, path: readonly (string | number)[]): string => {
    const got = interpolate(value, vars)
    if ('error' in got) {
      problems.add(dotted(path), got.error)
      return value
    }
    if (got.pieces.some(isFlagRef)) {
      const inEnvironment = path.length === 4 && path[0] === 'services' && path[2] === 'environment'
      if (inEnvironment) flagged.set(flaggedKey(String(path[1]), path[3]), got.pieces)
      else problems.add(dotted(path), FLAG_ELSEWHERE)
    }
    return render(got.pieces, null)
  }
  return { doc: walk(doc, []), flagged }
}
