import { posix } from 'node:path'
import { isEntry } from './entry'
import { OptionsError } from './errors'
import type { CrOptions, FileSource } from './options'
import { DEFAULT_PORT_TIMEOUT_MS, specOf, type FileSpec, type ReusePolicy, type RunSpec } from './run-spec'

export { SPEC, type RunSpec } from './run-spec'
import { parseCpus, parseDuration, parseMemory, parsePids, type ResourceLimits } from './limits'
import { parseName } from './run-name'
import { checkSchema } from './schema'
import { shown } from './shown'

const KNOWN = new Set([
  'schema',
  'host',
  'entry',
  'cmd',
  'env',
  'files',
  'links',
  'ports',
  'services',
  'portTimeout',
  'signal',
  'timeout',
  'idleTimeout',
  'memory',
  'cpus',
  'pids',
  'reuse',
  'name',
])

// Docker's reference grammar (distribution/reference), without IPv6 literals.
const DOMAIN =
  '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?'
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*'
const IMAGE_RE = new RegExp(
  `^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`,
)
const IMAGE_ID_RE = /^sha256:[0-9a-f]{64}$/
// A DNS label: what a service key or link alias becomes as a host name.
const HOST_LABEL_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/
const ENV_NAME_RE = /^[^=\0]+$/

/** Checks everything that can be checked without the engine; throws `OptionsError` on the first fault. */
export function parseSpec(image: unknown, schemaArg: unknown, options: unknown): RunSpec {
  if (typeof image !== 'string' || !(IMAGE_RE.test(image) || IMAGE_ID_RE.test(image))) {
    throw new OptionsError(
      'image',
      `${shown(image)} is not an image reference (e.g. levrt/busybox or levkit/nmap:1.0)`,
    )
  }
  if (options === undefined) options = {}
  if (!isPlainObject(options)) throw new OptionsError('options', 'must be an object')
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new OptionsError(key, `unknown option (known: ${[...KNOWN].join(', ')})`)
  }
  const o = options as CrOptions
  if (schemaArg !== undefined && o.schema !== undefined && schemaArg !== o.schema) {
    throw new OptionsError(
      'schema',
      `given twice with different values (${shown(schemaArg)}, ${shown(o.schema)})`,
    )
  }
  const schema = schemaArg ?? o.schema
  if (o.host !== undefined && typeof o.host !== 'boolean') throw new OptionsError('host', 'must be a boolean')
  if (o.entry !== undefined && !isEntry(o.entry)) {
    throw new OptionsError('entry', 'must be an entry made by remote(fn) or remote(fn)(...args)')
  }
  if (
    o.portTimeout !== undefined &&
    !(typeof o.portTimeout === 'number' && o.portTimeout > 0 && o.portTimeout <= 86_400_000)
  ) {
    throw new OptionsError('portTimeout', 'must be a number of milliseconds, above 0 and at most a day')
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
    throw new OptionsError('signal', 'must be an AbortSignal')
  const links = parseLinks(o.links)
  const services = parseServices(o.services, o.host ?? false)
  for (const [alias] of links) {
    if (services.some(([name]) => name === alias))
      throw new OptionsError(`links.${alias}`, `${alias} is also the name of a service`)
  }
  const limits: ResourceLimits = {
    memoryBytes: parseMemory(o.memory),
    nanoCpus: parseCpus(o.cpus),
    pids: parsePids(o.pids),
  }
  return {
    image,
    schema: schema === undefined ? undefined : checkSchema(schema),
    host: o.host ?? false,
    entry: o.entry,
    cmd: o.cmd === undefined ? undefined : parseCmd(o.cmd),
    env: parseEnv(o.env),
    files: parseFiles(o.files),
    links,
    ports: parsePorts(o.ports),
    // A service without limits of its own takes the run's: resolved here, once.
    services: services.map(
      ([name, service]) => [name, { ...service, limits: inherit(service.limits, limits) }] as const,
    ),
    portTimeoutMs: o.portTimeout ?? DEFAULT_PORT_TIMEOUT_MS,
    signal: o.signal,
    timeoutMs: parseDuration(o.timeout, 'timeout'),
    idleTimeoutMs: parseDuration(o.idleTimeout, 'idleTimeout'),
    limits,
    reuse: parseReuse(o.reuse),
    name: parseName(o.name),
  }
}

function parseReuse(reuse: unknown): ReusePolicy | undefined {
  if (reuse === undefined) return undefined
  if (typeof reuse === 'boolean') return reuse ? { reuse: true, maxAgeMs: undefined } : { reuse: false }
  if (isPlainObject(reuse) && Object.keys(reuse).length === 1 && 'maxAge' in reuse) {
    const maxAge = reuse.maxAge
    // Not a timer: a month is a fine maximum age.
    if (typeof maxAge !== 'number' || !Number.isFinite(maxAge) || maxAge <= 0) {
      throw new OptionsError('reuse.maxAge', `${shown(maxAge)} is not a number of milliseconds above 0`)
    }
    return { reuse: true, maxAgeMs: maxAge }
  }
  throw new OptionsError('reuse', 'must be true, false or { maxAge: ms }')
}

function parseCmd(cmd: unknown): string[] {
  if (!Array.isArray(cmd)) throw new OptionsError('cmd', 'must be an array of strings')
  return cmd.map((arg, i) => {
    if (typeof arg !== 'string') throw new OptionsError(`cmd[${i}]`, 'must be a string')
    if (arg.includes('\0')) throw new OptionsError(`cmd[${i}]`, 'must not contain a NUL character')
    return arg
  })
}

function parseEnv(env: unknown): string[] {
  if (env === undefined) return []
  if (Array.isArray(env)) {
    return env.map((entry, i) => {
      if (typeof entry !== 'string') throw new OptionsError(`env[${i}]`, 'must be a string NAME=value')
      const eq = entry.indexOf('=')
      if (eq <= 0) throw new OptionsError(`env[${i}]`, `${shown(entry)} is not of the form NAME=value`)
      if (entry.includes('\0')) throw new OptionsError(`env[${i}]`, 'must not contain a NUL character')
      return entry
    })
  }
  if (!isPlainObject(env))
    throw new OptionsError('env', 'must be an array of NAME=value strings or an object')
  return Object.entries(env).map(([name, value]) => {
    if (!ENV_NAME_RE.test(name))
      throw new OptionsError(`env.${name}`, 'a name must be non-empty, without = or NUL')
    if (typeof value !== 'string') throw new OptionsError(`env.${name}`, 'must be a string')
    if (value.includes('\0')) throw new OptionsError(`env.${name}`, 'must not contain a NUL character')
    return `${name}=${value}`
  })
}

function parseFiles(files: unknown): FileSpec[] {
  if (files === undefined) return []
  if (!isPlainObject(files))
    throw new OptionsError('files', 'must be an object of absolute path -> content or { path }')
  return Object.entries(files).map(([target, source]) => {
    const where = `files[${JSON.stringify(target)}]`
    if (!target.startsWith('/')) throw new OptionsError(where, 'the target must be an absolute path')
    if (target.includes('\0')) throw new OptionsError(where, 'the target must not contain a NUL character')
    const parts = target.slice(1).split('/')
    if (parts.some((p) => p === '..')) throw new OptionsError(where, "the target must not contain '..'")
    if (target === '/' || parts.some((p) => p === '' || p === '.')) {
      throw new OptionsError(
        where,
        `the target must name a file, normalised (like ${posix.normalize(target).replace(/\/$/, '') || '/file'})`,
      )
    }
    if (!isFileSource(source)) {
      throw new OptionsError(
        where,
        'must be a Buffer, Uint8Array, string or { path: string, bind?: boolean }',
      )
    }
    return { target, source }
  })
}

function isFileSource(value: unknown): value is FileSource {
  if (typeof value === 'string' || value instanceof Uint8Array) return true
  if (!isPlainObject(value) || typeof value.path !== 'string' || value.path === '') return false
  const extra = Object.keys(value).filter((k) => k !== 'path')
  return extra.length === 0 || (extra.length === 1 && extra[0] === 'bind' && typeof value.bind === 'boolean')
}

function parseLinks(links: unknown): [string, string][] {
  if (links === undefined) return []
  if (!isPlainObject(links)) throw new OptionsError('links', 'must be an object of alias -> task.host')
  return Object.entries(links).map(([alias, host]) => {
    if (!HOST_LABEL_RE.test(alias))
      throw new OptionsError(`links.${alias}`, 'the alias must be a host name label (letters, digits, -)')
    if (typeof host !== 'string' || !host)
      throw new OptionsError(`links.${alias}`, "must be a running task's host")
    return [alias, host]
  })
}

function parsePorts(ports: unknown): number[] {
  if (ports === undefined) return []
  if (!Array.isArray(ports)) throw new OptionsError('ports', 'must be an array of TCP port numbers')
  const seen = new Set<number>()
  return ports.map((port, i) => {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new OptionsError(`ports[${i}]`, `${shown(port)} is not a TCP port (1-65535)`)
    }
    if (seen.has(port)) throw new OptionsError(`ports[${i}]`, `port ${port} is listed twice`)
    seen.add(port)
    return port
  })
}

function parseServices(services: unknown, hostNetwork: boolean): [string, RunSpec][] {
  if (services === undefined) return []
  if (!isPlainObject(services)) throw new OptionsError('services', 'must be an object of name -> Cr')
  return Object.entries(services).map(([name, cr]) => {
    const where = `services.${name}`
    if (!HOST_LABEL_RE.test(name))
      throw new OptionsError(where, 'the name must be a host name label (letters, digits, -)')
    const spec = specOf(cr)
    if (!spec) throw new OptionsError(where, 'must be a Cr')
    if (spec.services.length > 0) throw new OptionsError(where, 'a service cannot have services of its own')
    // A sidecar lives exactly as long as its run: time limits are the run's.
    if (spec.timeoutMs !== undefined || spec.idleTimeoutMs !== undefined) {
      throw new OptionsError(
        where,
        "a service ends with its run: give timeout and idleTimeout to the run's Cr",
      )
    }
    if (spec.reuse !== undefined)
      throw new OptionsError(where, "a service is not a run of its own: give reuse to the run's Cr")
    if (spec.name !== undefined) throw new OptionsError(where, 'a service is named by its key: drop name')
    if (spec.host && !hostNetwork) {
      throw new OptionsError(
        where,
        'a service on the host network cannot be reached by name from the run; drop host: true',
      )
    }
    return [name, spec]
  })
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function inherit(own: ResourceLimits, run: ResourceLimits): ResourceLimits {
  return {
    memoryBytes: own.memoryBytes ?? run.memoryBytes,
    nanoCpus: own.nanoCpus ?? run.nanoCpus,
    pids: own.pids ?? run.pids,
  }
}
