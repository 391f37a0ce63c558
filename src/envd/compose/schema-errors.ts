import { ValueErrorType, type ValueError, type ValueErrorIterator } from '@sinclair/typebox/errors'
import { dotted, type Problem } from './problems'
import { DOCKER_SOCKET, SHAPES, unsupported } from './reasons'

/** Errors that only say "not this kind of value" (a union tries each kind). */
const KIND = new Set([
  ValueErrorType.Object,
  ValueErrorType.Array,
  ValueErrorType.String,
  ValueErrorType.Number,
  ValueErrorType.Integer,
  ValueErrorType.Boolean,
  ValueErrorType.Null,
  ValueErrorType.Literal,
  ValueErrorType.Never,
])

/**
 * A schema error in an author's terms: the reason the failing node carries, else what the key's
 * value should look like; never the schema library's wording. For a union (a port may be a
 * number, a string or a map), the variant of the value's own kind explains the failure.
 */
export function describe(error: ValueError): Problem[] {
  const parts = pointer(error.path)
  const path = dotted(parts)
  const reason = (error.schema as { reason?: unknown }).reason
  if (JSON.stringify(error.value ?? '').includes('docker.sock')) return [{ path, reason: DOCKER_SOCKET }]
  if (error.type === ValueErrorType.ObjectAdditionalProperties)
    return [{ path, reason: unsupported(String(parts.at(-1))) }]
  if (typeof reason === 'string') return [{ path, reason }]
  if (error.type === ValueErrorType.Union) {
    const inner = explainUnion(error.errors)
    if (inner.length) return inner
  }
  if (error.type === ValueErrorType.ObjectRequiredProperty)
    return [{ path, reason: `${String(parts.at(-1))} is required` }]
  return [{ path, reason: shapeOf(parts) }]
}

/** The errors of the one variant that got past the value's kind, if exactly one did. */
function explainUnion(variants: readonly ValueErrorIterator[]): Problem[] {
  const lists = variants.map((v) => [...v])
  const deeper = lists.filter(
    (errors) => errors.length && !errors.every((e) => KIND.has(e.type) && !hasReason(e)),
  )
  if (deeper.length !== 1) return []
  return deeper[0].flatMap(describe)
}

function hasReason(e: ValueError): boolean {
  return typeof (e.schema as { reason?: unknown }).reason === 'string'
}

/** What the nearest key with a known shape should look like. */
function shapeOf(parts: readonly string[]): string {
  for (let i = parts.length - 1; i >= 0; i--) {
    const key = parts[i]
    // services.<name>.<key>...: the key, not a service named like one.
    if (i === 1 && parts[0] === 'services') break
    if (SHAPES[key]) return SHAPES[key]
  }
  if (parts.length === 0)
    return 'a compose file is a map with services: (services: {web: {image: ..., ports: [80]}})'
  if (parts[0] === 'services' && parts.length === 2)
    return 'a service is a map: {image: name:tag, ports: [80], ...}'
  if (parts[0] === 'services' && parts.length <= 2) return SHAPES.services
  return 'this value is not of a kind the compose format allows here (README, "Compose policy")'
}

/** `/services/web/volumes/0` -> ['services', 'web', 'volumes', '0'] */
function pointer(path: string): string[] {
  return path
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
}
