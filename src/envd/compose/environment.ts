import { FLAG_VARIABLE, interpolate, isFlagRef, textOf, type Piece } from './interpolate'
import { flaggedKey } from './interpolate-doc'
import type { FlagVariable } from './plan'
import type { Problems } from './problems'
import type { ComposeService } from './schema'

/** A service's variables, with those holding the flag apart. */
export interface ServiceEnvironment {
  /** `KEY=value` lines. */
  readonly environment: string[]
  readonly flagEnvironment: FlagVariable[]
}

const FLAG_ONLY: readonly Piece[] = [{ flag: true }]

/**
 * `env_file` values first (later files win), then `environment` over them, as compose does. A
 * bare `KEY` takes its value from the `.env` file (FLAG: the create's flag); a bare key with no
 * value there is a problem, since the host's environment never leaks in.
 */
export function serviceEnvironment(
  name: string,
  s: ComposeService,
  envFiles: ReadonlyMap<string, readonly Piece[]>,
  flagged: ReadonlyMap<string, readonly Piece[]>,
  vars: ReadonlyMap<string, string>,
  problems: Problems,
): ServiceEnvironment {
  const at = `services.${name}.environment`
  const values = new Map<string, readonly Piece[]>(envFiles)
  const bare = (key: string, path: string) => {
    if (key === FLAG_VARIABLE) values.set(key, FLAG_ONLY)
    else if (vars.has(key)) values.set(key, [vars.get(key)!])
    else
      problems.add(
        path,
        `${key} has no value: the service passes none of its host's environment; ` +
          `write ${key}=value, or set ${key} in the .env file beside the compose file`,
      )
  }
  const env = s.environment
  if (Array.isArray(env)) {
    env.forEach((entry, i) => {
      const pieces = flagged.get(flaggedKey(name, i)) ?? [entry]
      const first = typeof pieces[0] === 'string' ? pieces[0] : ''
      const eq = first.indexOf('=')
      if (eq < 0 && pieces.length === 1) return bare(entry, `${at}[${i}]`)
      if (eq <= 0) return problems.add(`${at}[${i}]`, 'an entry is KEY=value: the name comes first')
      values.set(
        first.slice(0, eq),
        [first.slice(eq + 1), ...pieces.slice(1)].filter((p) => p !== ''),
      )
    })
  } else if (env) {
    for (const [key, v] of Object.entries(env)) {
      if (v === null) bare(key, `${at}.${key}`)
      else values.set(key, flagged.get(flaggedKey(name, key)) ?? [String(v)])
    }
  }
  const environment: string[] = []
  const flagEnvironment: FlagVariable[] = []
  for (const [key, pieces] of values) {
    if (!/^[^=\s]+$/.test(key)) problems.add(`${at}.${key}`, 'a variable name has no "=" or spaces')
    const text = textOf(pieces)
    if (text === undefined) flagEnvironment.push({ name: key, value: pieces })
    else environment.push(`${key}=${text}`)
  }
  return { environment, flagEnvironment }
}

/** An env_file's values, interpolated like the compose file itself (FLAG included). */
export function interpolateEnvFile(
  values: ReadonlyMap<string, string>,
  path: string,
  vars: ReadonlyMap<string, string>,
  problems: Problems,
): Map<string, readonly Piece[]> {
  const out = new Map<string, readonly Piece[]>()
  for (const [key, value] of values) {
    const got = interpolate(value, vars)
    if ('error' in got) problems.add(`${path} (${key})`, got.error)
    else out.set(key, got.pieces.length ? got.pieces : [''])
  }
  return out
}

/** Flag pieces with `${FLAG:?err}`: the create must give a non-empty flag. */
export function flagRequirements(pieces: readonly Piece[]): string[] {
  return pieces.flatMap((p) => (isFlagRef(p) && p.required ? [p.required] : []))
}
