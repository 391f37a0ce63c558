import type { Piece } from './interpolate'
import { serviceEnvironment } from './environment'
import { requestedLimits } from './limits'
import { mountsOf } from './mounts'
import { checkNetworks } from './networks'
import type {
  ComposePlan,
  Condition,
  ExposedPort,
  PlanDependency,
  PlanHealthcheck,
  PlanService,
  RestartPolicy,
} from './plan'
import type { Problems } from './problems'
import { IMAGE_MISSING, PORT } from './reasons'
import type { ComposeFile, ComposeService } from './schema'
import { durationMs } from './units'
import { shellWords } from './words'

/** What the file's folder gives a build: its variables and each service's env_file values. */
export interface BuildInput {
  readonly vars: ReadonlyMap<string, string>
  readonly flagged: ReadonlyMap<string, readonly Piece[]>
  readonly envFiles: ReadonlyMap<string, ReadonlyMap<string, readonly Piece[]>>
  /** What the schema refused and took out (`service.key`, a service, a top-level key): not judged again. */
  readonly pruned: ReadonlySet<string>
}

/**
 * Turns a file that has the schema's shape into a plan, checking what a schema cannot say:
 * one exposed port in all, declared volumes, dependencies and links that exist and do not
 * loop, one network. Problems are added, not thrown: the caller lists them all.
 */
export function buildPlan(file: ComposeFile, input: BuildInput, problems: Problems): ComposePlan {
  // Top-level volumes the schema took out: every name counts as declared, so no second, wrong problem.
  const used = Object.values(file.services).flatMap((s) =>
    (s.volumes ?? []).map((v) =>
      typeof v === 'string' ? v.split(':')[0] : v.type === 'volume' ? v.source : undefined,
    ),
  )
  const declared = new Set(
    input.pruned.has('volumes') ? used.filter((v): v is string => !!v) : Object.keys(file.volumes ?? {}),
  )
  const anonymous: string[] = []
  const exposed: (ExposedPort & { path: string })[] = []
  const services = new Map<string, PlanService>()
  let badPorts = 0
  if (!input.pruned.has('networks')) checkNetworks(file, problems)
  for (const [name, s] of Object.entries(file.services)) {
    const at = `services.${name}`
    if (s.image === undefined && !input.pruned.has(`${name}.image`))
      problems.add(`${at}.image`, IMAGE_MISSING)
    ;(s.ports ?? []).forEach((p, i) => {
      const port = parsePort(p)
      if (port.port >= 1 && port.port <= 65535)
        exposed.push({ service: name, ...port, path: `${at}.ports[${i}]` })
      else {
        badPorts++
        problems.add(`${at}.ports[${i}]`, PORT)
      }
    })
    checkLinks(name, s, file, problems)
    const env = serviceEnvironment(
      name,
      s,
      input.envFiles.get(name) ?? new Map(),
      input.flagged,
      input.vars,
      problems,
    )
    services.set(name, {
      name,
      image: s.image ?? '',
      command: words(s.command, `${at}.command`, problems),
      entrypoint: words(s.entrypoint, `${at}.entrypoint`, problems),
      ...env,
      workingDir: s.working_dir,
      user: s.user === undefined ? undefined : String(s.user),
      hostname: s.hostname,
      restart: (s.restart ?? 'no').split(':')[0] as RestartPolicy,
      restartRetries: s.restart?.startsWith('on-failure:') ? Number(s.restart.split(':')[1]) : undefined,
      mounts: mountsOf(name, s, declared, anonymous, problems),
      readOnly: s.read_only ?? false,
      init: s.init ?? false,
      capAdd: (s.cap_add ?? []).map(capName),
      capDrop: (s.cap_drop ?? []).map(capName),
      labels: labelsOf(s.labels),
      tty: s.tty ?? false,
      stdinOpen: s.stdin_open ?? false,
      stopGraceSeconds:
        s.stop_grace_period === undefined ? undefined : Math.ceil(durationMs(s.stop_grace_period) / 1000),
      stopSignal: s.stop_signal,
      healthcheck: healthcheckOf(s.healthcheck, `${at}.healthcheck`, problems),
      dependsOn: dependenciesOf(name, s, file, problems),
      limits: requestedLimits(s, at, problems),
    })
  }
  // Ports already refused (or taken out with a service) cannot be counted.
  const uncounted = badPorts > 0 || [...input.pruned].some((k) => !k.includes('.') || k.endsWith('.ports'))
  if (exposed.length !== 1 && !(exposed.length === 0 && uncounted)) {
    const found = exposed.map((e) => `${e.path} (${e.port}/${e.protocol})`).join(', ')
    problems.add(
      exposed[0]?.path ?? 'services',
      'an environment exposes exactly one port (one entry under ports in all services; others may use ' +
        `expose); found ${exposed.length ? `${exposed.length}: ${found}` : 'none'}`,
    )
  }
  for (const s of services.values()) {
    for (const d of s.dependsOn) {
      const off = services.get(d.service)?.healthcheck?.test?.[0] === 'NONE'
      if (d.condition !== 'service_healthy' || !off) continue
      problems.add(
        `services.${s.name}.depends_on.${d.service}`,
        `${d.service}'s healthcheck is disabled, so it never becomes healthy: ` +
          `give ${d.service} a healthcheck, or write condition: service_started`,
      )
    }
  }
  const order = startOrder(
    new Map([...services].map(([n, s]) => [n, s.dependsOn.map((d) => d.service)])),
    problems,
  )
  const port = exposed[0] ?? { service: '', port: 0, protocol: 'tcp' as const }
  const volumes = [...[...declared].filter((v) => !v.toLowerCase().includes('flag')), ...anonymous]
  return {
    services: order.map((n) => services.get(n)!),
    exposed: { service: port.service, port: port.port, protocol: port.protocol },
    volumes,
  }
}

function parsePort(p: NonNullable<ComposeService['ports']>[number]): {
  port: number
  protocol: 'tcp' | 'udp'
} {
  if (typeof p === 'number') return { port: p, protocol: 'tcp' }
  if (typeof p === 'string') {
    const [port, protocol] = p.split('/')
    return { port: Number(port), protocol: protocol === 'udp' ? 'udp' : 'tcp' }
  }
  return { port: p.target, protocol: p.protocol ?? 'tcp' }
}

function checkLinks(name: string, s: ComposeService, file: ComposeFile, problems: Problems): void {
  ;(s.links ?? []).forEach((link, i) => {
    const [target, alias] = link.split(':')
    if (!(target in file.services))
      problems.add(
        `services.${name}.links[${i}]`,
        `there is no service ${JSON.stringify(target)}: delete the link (services reach each other by name)`,
      )
    else if (alias !== undefined && alias !== target) {
      problems.add(
        `services.${name}.links[${i}]`,
        'a link alias is refused: services reach each other by service name; ' +
          `write "${target}" and connect to ${target}`,
      )
    }
  })
}

function dependenciesOf(
  name: string,
  s: ComposeService,
  file: ComposeFile,
  problems: Problems,
): PlanDependency[] {
  const entries: [string, Condition][] = Array.isArray(s.depends_on)
    ? s.depends_on.map((d) => [d, 'service_started'])
    : Object.entries(s.depends_on ?? {}).map(([d, v]) => [d, (v.condition ?? 'service_started') as Condition])
  return entries.flatMap(([service, condition]) => {
    if (service in file.services) return [{ service, condition }]
    problems.add(
      `services.${name}.depends_on`,
      `there is no service ${JSON.stringify(service)}: name one of ${Object.keys(file.services).join(', ')}`,
    )
    return []
  })
}

function healthcheckOf(
  h: ComposeService['healthcheck'],
  at: string,
  problems: Problems,
): PlanHealthcheck | undefined {
  if (!h) return undefined
  if (h.disable) return { test: ['NONE'] }
  let test: string[] | undefined
  if (typeof h.test === 'string') test = ['CMD-SHELL', h.test]
  else if (h.test) {
    test = h.test
    if (!['CMD', 'CMD-SHELL', 'NONE'].includes(test[0]) || test.length < (test[0] === 'NONE' ? 1 : 2)) {
      problems.add(
        `${at}.test`,
        'a test list starts with CMD (then the program and its arguments) ' +
          'or CMD-SHELL (then one shell command)',
      )
    }
  }
  const ms = (d: string | undefined) => (d === undefined ? undefined : durationMs(d))
  return {
    test,
    intervalMs: ms(h.interval),
    timeoutMs: ms(h.timeout),
    startPeriodMs: ms(h.start_period),
    retries: h.retries,
  }
}

function words(value: string | string[] | undefined, path: string, problems: Problems): string[] | undefined {
  if (value === undefined || Array.isArray(value)) return value
  const split = shellWords(value)
  if (!split) problems.add(path, 'unterminated quote: close it, or write the command as a list')
  return split
}

function labelsOf(labels: ComposeService['labels']): Record<string, string> {
  if (labels === undefined) return {}
  if (!Array.isArray(labels))
    return Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, v === null ? '' : String(v)]))
  return Object.fromEntries(
    labels.map((l) =>
      l.includes('=') ? [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] : [l, ''],
    ),
  )
}

function capName(cap: string): string {
  return cap.toUpperCase().replace(/^CAP_/, '')
}

/** Services in an order where each comes after those it depends on; a loop is a problem. */
function startOrder(deps: ReadonlyMap<string, readonly string[]>, problems: Problems): string[] {
  const order: string[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (name: string, chain: string[]): void => {
    if (state.get(name) === 'done') return
    if (state.get(name) === 'visiting') {
      problems.add(
        `services.${name}.depends_on`,
        `depends_on loops: ${[...chain, name].join(' -> ')}; break the loop`,
      )
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
