import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors'
import { EnvdError } from '../errors'
import type { ComposePlan, ExposedPort, PlanMount, PlanService, RestartPolicy } from './plan'
import { composeSchema, type ComposeFile, type ComposeService } from './schema'
import { shellWords } from './words'

/** How many problems one refusal lists. */
const MAX_PROBLEMS = 5

/**
 * Checks a parsed compose file against our schema, then what a schema cannot say (one exposed
 * port in all, volumes declared, dependencies that exist and do not loop), and turns it into a
 * plan. Every refusal is an EnvdError (422) naming the path and the reason.
 */
export class ComposePolicy {
  private readonly check: TypeCheck<ReturnType<typeof composeSchema>>

  constructor(capAllow: readonly string[]) {
    this.check = TypeCompiler.Compile(composeSchema(capAllow))
  }

  plan(doc: unknown, shownAs: string): ComposePlan {
    if (!this.check.Check(doc)) {
      const problems = dedupe([...this.check.Errors(doc)].map(describe))
      throw refuse(shownAs, problems)
    }
    return buildPlan(doc, shownAs)
  }
}

function refuse(shownAs: string, all: readonly string[]): EnvdError {
  const problems = dedupe(all)
  const more = problems.length > MAX_PROBLEMS ? ` (and ${problems.length - MAX_PROBLEMS} more)` : ''
  return new EnvdError(422, `${shownAs} is refused: ${problems.slice(0, MAX_PROBLEMS).join('; ')}${more}`)
}

/** `/services/web/volumes/0` -> `services.web.volumes[0]` */
function dotted(pointer: string): string {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '') || '(the file)'
}

function describe(error: ValueError): string {
  const path = dotted(error.path)
  const reason = (error.schema as { reason?: unknown }).reason
  if (JSON.stringify(error.value ?? '').includes('docker.sock')) {
    return `${path}: the Docker socket is never mounted: it would hand the whole host to the container`
  }
  if (typeof reason === 'string') return `${path}: ${reason}`
  if (error.type === ValueErrorType.ObjectAdditionalProperties || error.type === ValueErrorType.Never) return `${path} is not supported`
  if (error.type === ValueErrorType.ObjectRequiredProperty) return `${path} is required`
  return `${path}: ${error.message.toLowerCase()}`
}

function dedupe(xs: readonly string[]): string[] {
  return [...new Set(xs)]
}

function buildPlan(file: ComposeFile, shownAs: string): ComposePlan {
  const problems: string[] = []
  const declared = new Set(Object.keys(file.volumes ?? {}))
  const exposed: (ExposedPort & { path: string })[] = []
  const services = new Map<string, PlanService>()
  const deps = new Map<string, string[]>()
  for (const [name, s] of Object.entries(file.services)) {
    const at = `services.${name}`
    ;(s.ports ?? []).forEach((p, i) => exposed.push({ service: name, ...parsePort(p), path: `${at}.ports[${i}]` }))
    const mounts = mountsOf(s, at, declared, problems)
    const command = words(s.command, `${at}.command`, problems)
    const entrypoint = words(s.entrypoint, `${at}.entrypoint`, problems)
    services.set(name, {
      name,
      image: s.image,
      command,
      entrypoint,
      environment: environmentOf(s.environment),
      workingDir: s.working_dir,
      user: s.user,
      hostname: s.hostname,
      restart: (s.restart ?? 'no') as RestartPolicy,
      mounts,
      readOnly: s.read_only ?? false,
      init: s.init ?? false,
      capAdd: (s.cap_add ?? []).map(capName),
      capDrop: (s.cap_drop ?? []).map(capName),
      labels: labelsOf(s.labels),
    })
    const on = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {})
    on.filter((d) => !(d in file.services)).forEach((d) => problems.push(`${at}.depends_on: there is no service ${JSON.stringify(d)}`))
    deps.set(name, on.filter((d) => d in file.services))
  }
  if (exposed.length !== 1) {
    const found = exposed.map((e) => `${e.path} (${e.port}/${e.protocol})`).join(', ')
    problems.push(`an environment exposes exactly one port (one entry under ports in all services); found ${exposed.length ? `${exposed.length}: ${found}` : 'none'}`)
  }
  const order = startOrder(deps, problems)
  if (problems.length) throw refuse(shownAs, problems)
  const { path: _path, ...port } = exposed[0]
  const volumes = [...declared].filter((v) => !isFlagVolume(v))
  return { services: order.map((n) => services.get(n)!), exposed: port, volumes }
}

/** The seed's rule: a volume whose name contains "flag" receives the flag. */
export function isFlagVolume(name: string): boolean {
  return name.toLowerCase().includes('flag')
}

function parsePort(p: NonNullable<ComposeService['ports']>[number]): { port: number; protocol: 'tcp' | 'udp' } {
  if (typeof p === 'number') return { port: p, protocol: 'tcp' }
  if (typeof p === 'string') {
    const [port, protocol] = p.split('/')
    return { port: Number(port), protocol: protocol === 'udp' ? 'udp' : 'tcp' }
  }
  return { port: p.target, protocol: p.protocol ?? 'tcp' }
}

function mountsOf(s: ComposeService, at: string, declared: ReadonlySet<string>, problems: string[]): PlanMount[] {
  const mounts: PlanMount[] = []
  ;(s.volumes ?? []).forEach((v, i) => {
    const path = `${at}.volumes[${i}]`
    let volume: string
    let target: string
    let readOnly: boolean
    if (typeof v === 'string') {
      const [source, t, mode] = v.split(':')
      ;[volume, target, readOnly] = [source, t, mode === 'ro']
    } else if (v.type === 'tmpfs') {
      mounts.push({ kind: 'tmpfs', target: v.target })
      return
    } else {
      ;[volume, target, readOnly] = [v.source, v.target, v.read_only ?? false]
    }
    if (!declared.has(volume)) problems.push(`${path}: volume ${JSON.stringify(volume)} is not declared under the top-level volumes`)
    else if (isFlagVolume(volume)) mounts.push({ kind: 'flag', target })
    else mounts.push({ kind: 'volume', volume, target, readOnly })
  })
  const tmpfs = typeof s.tmpfs === 'string' ? [s.tmpfs] : (s.tmpfs ?? [])
  for (const target of tmpfs) mounts.push({ kind: 'tmpfs', target })
  const targets = mounts.map((m) => m.target)
  const twice = targets.find((t, i) => targets.indexOf(t) !== i)
  if (twice) problems.push(`${at}: two mounts at ${twice}`)
  return mounts
}

function words(value: string | string[] | undefined, path: string, problems: string[]): string[] | undefined {
  if (value === undefined || Array.isArray(value)) return value
  const split = shellWords(value)
  if (!split) problems.push(`${path}: unterminated quote`)
  return split
}

function environmentOf(env: ComposeService['environment']): string[] {
  if (env === undefined) return []
  if (Array.isArray(env)) return env
  return Object.entries(env).map(([k, v]) => `${k}=${String(v)}`)
}

function labelsOf(labels: ComposeService['labels']): Record<string, string> {
  if (labels === undefined) return {}
  if (!Array.isArray(labels)) return labels
  return Object.fromEntries(labels.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
}

function capName(cap: string): string {
  return cap.toUpperCase().replace(/^CAP_/, '')
}

/** Services in an order where each comes after those it depends on; a loop is a problem. */
function startOrder(deps: ReadonlyMap<string, readonly string[]>, problems: string[]): string[] {
  const order: string[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (name: string, chain: string[]): void => {
    if (state.get(name) === 'done') return
    if (state.get(name) === 'visiting') {
      problems.push(`depends_on loops: ${[...chain, name].join(' -> ')}`)
      return
    }
    state.set(name, 'visiting')
    for (const d of deps.get(name) ?? []) visit(d, [...chain, name])
    state.set(name, 'done')
    order.push(name)
  }
  for (const name of deps.keys()) visit(name, [])
  return order
}
