import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { buildPlan } from './build'
import { interpolateEnvFile } from './environment'
import type { Piece } from './interpolate'
import { interpolateDoc } from './interpolate-doc'
import type { ComposePlan } from './plan'
import { ComposeRefusal, Problems } from './problems'
import { composeSchema, type ComposeFile } from './schema'
import { describe } from './schema-errors'
import type { ComposeFolder } from './variables'

/**
 * Checks a parsed compose file and turns it into a plan: interpolation with the file's own
 * variables, the schema of the subset we run, then what a schema cannot say. Every problem
 * found is listed in one ComposeRefusal (422), each with its path, why, and what to write.
 */
export class ComposePolicy {
  private readonly check: TypeCheck<ReturnType<typeof composeSchema>>

  constructor(capAllow: readonly string[]) {
    this.check = TypeCompiler.Compile(composeSchema(capAllow))
  }

  async plan(raw: unknown, shownAs: string, folder: ComposeFolder): Promise<ComposePlan> {
    const problems = new Problems()
    if (folder.dotenvProblem) problems.add('.env', folder.dotenvProblem)
    const { doc, flagged } = interpolateDoc(raw, folder.dotenv, problems)
    const { valid, pruned } = this.prune(doc, problems)
    if (!valid) throw new ComposeRefusal(shownAs, problems.all())
    const envFiles = await readEnvFiles(valid, folder, problems)
    const plan = buildPlan(valid, { vars: folder.dotenv, flagged, envFiles, pruned }, problems)
    if (problems.size) throw new ComposeRefusal(shownAs, problems.all())
    return plan
  }

  private prune(doc: unknown, problems: Problems): { valid?: ComposeFile; pruned: Set<string> } {
    return pruneInvalid(this.check, doc, problems)
  }
}

/**
 * Schema problems are recorded, and the keys holding them taken out (a service's key, or a
 * top-level one), until what is left has the schema's shape: the checks in code then run on the
 * rest, so one round lists every problem. Undefined when nothing usable is left.
 */
function pruneInvalid(
  check: TypeCheck<ReturnType<typeof composeSchema>>,
  doc: unknown,
  problems: Problems,
): { valid?: ComposeFile; pruned: Set<string> } {
  const pruned = new Set<string>()
  const taken = new Set<string>() // the same, as dotted paths
  let current = structuredClone(doc)
  for (let round = 0; round < 100; round++) {
    if (check.Check(current)) return { valid: current, pruned }
    const errors = [...check.Errors(current)]
    // What taking a key out caused (an emptied map, a missing key) is not the author's problem.
    const caused = (path: string) =>
      [...taken].some((t) => t === path || t.startsWith(`${path}.`) || path === '(the file)')
    for (const error of errors) {
      for (const p of describe(error)) if (round === 0 || !caused(p.path)) problems.add(p.path, p.reason)
    }
    const [top, service, key] = errors.map((e) => e.path.split('/').slice(1))[0]
    if (typeof current !== 'object' || current === null || Array.isArray(current) || top === undefined)
      return { pruned }
    const file = current as Record<string, unknown>
    const services = file.services as Record<string, Record<string, unknown> | undefined> | undefined
    const owner =
      top === 'services' && key !== undefined && typeof services?.[service] === 'object'
        ? services[service]
        : undefined
    if (owner && !Array.isArray(owner)) {
      delete owner[key]
      pruned.add(`${service}.${key}`)
      taken.add(`services.${service}.${key}`)
    } else if (top === 'services' && service !== undefined && services?.[service] !== undefined) {
      delete services[service]
      pruned.add(service)
      taken.add(`services.${service}`)
    } else {
      delete file[top]
      pruned.add(top)
      taken.add(top)
    }
    current = file
  }
  return { pruned }
}

/** Each service's env_file values (later files win), interpolated; a missing required file is a problem. */
async function readEnvFiles(
  file: ComposeFile,
  folder: ComposeFolder,
  problems: Problems,
): Promise<Map<string, Map<string, readonly Piece[]>>> {
  const out = new Map<string, Map<string, readonly Piece[]>>()
  for (const [name, s] of Object.entries(file.services)) {
    const list = s.env_file === undefined ? [] : typeof s.env_file === 'string' ? [s.env_file] : s.env_file
    const values = new Map<string, readonly Piece[]>()
    for (const [i, entry] of list.entries()) {
      const { path, required } =
        typeof entry === 'string' ? { path: entry, required: true } : { required: true, ...entry }
      const at = `services.${name}.env_file${typeof s.env_file === 'string' ? '' : `[${i}]`}`
      const read = await folder.envFile(path)
      if (read instanceof Error) problems.add(at, read.message)
      else if (read === undefined && required)
        problems.add(
          at,
          `${JSON.stringify(path)} does not exist beside the compose file: add it, or delete the entry`,
        )
      else if (read)
        for (const [k, v] of interpolateEnvFile(read, at, folder.dotenv, problems)) values.set(k, v)
    }
    out.set(name, values)
  }
  return out
}
