import { Type, type TSchema } from '@sinclair/typebox'
import { BIND, PORT, REFUSED } from './reasons'

/** The pieces the compose schema is made of (schema.ts): shapes of values, each with its reason. */
/** A key refused for the reason REFUSED gives. */
export function refused(key: string): TSchema {
  return Type.Optional(Type.Never({ reason: REFUSED[key] }))
}

export function refusing(keys: readonly string[]): Record<string, TSchema> {
  return Object.fromEntries(keys.map((k) => [k, refused(k)]))
}

export const NAME = '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$'
export const ABSOLUTE = '^/[^:\\s]*$'
export const TMPFS = '^/[^:\\s]*(:[A-Za-z0-9=,._-]*)?$'
// registry[:port]/path/name then a tag that is not `latest`, and/or a digest.
export const IMAGE_PATTERN =
  '^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*' +
  '(?::(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(?:@sha256:[a-f0-9]{64})?|@sha256:[a-f0-9]{64})$'

export const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])
export const StringList = Type.Union([Type.String(), Type.Array(Type.String())])
export const Size = Type.Union([
  Type.Integer({ minimum: 0 }),
  Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*[bkmgBKMG]?[bB]?\\s*$' }),
])
export const Duration = Type.String({
  pattern: '^(\\d+(\\.\\d+)?(ns|us|µs|ms|s|m|h))+$',
  reason: 'a duration is like 500ms, 10s or 1m30s',
})
export const Cpus = Type.Union([
  Type.Number({ exclusiveMinimum: 0 }),
  Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*$' }),
])
export const Ulimit = Type.Union([
  Type.Integer(),
  Type.Object({ soft: Type.Integer(), hard: Type.Integer() }, { additionalProperties: false }),
])
export const Limits = Type.Object(
  { cpus: Type.Optional(Cpus), memory: Type.Optional(Size), pids: Type.Optional(Type.Integer()) },
  { additionalProperties: false },
)

export function capabilities(capAllow: readonly string[]) {
  return Type.Union(
    capAllow.flatMap((c) => [Type.Literal(c), Type.Literal(`CAP_${c}`)]),
    { reason: `cap_add may only add ${capAllow.join(', ')} (--cap-allow); delete the others` },
  )
}

export const ports = Type.Array(
  Type.Union(
    [
      Type.String({ pattern: '^[0-9]{1,5}(/(tcp|udp))?$', reason: PORT }),
      Type.Integer({ minimum: 1, maximum: 65535, reason: PORT }),
      Type.Object(
        {
          target: Type.Integer({ minimum: 1, maximum: 65535, reason: PORT }),
          protocol: Type.Optional(
            Type.Union([Type.Literal('tcp'), Type.Literal('udp')], { reason: 'protocol is tcp or udp' }),
          ),
          mode: Type.Optional(Type.Union([Type.Literal('ingress'), Type.Literal('host')])),
          published: Type.Optional(Type.Never({ reason: PORT })),
          host_ip: Type.Optional(Type.Never({ reason: PORT })),
        },
        { additionalProperties: false },
      ),
    ],
    { reason: PORT },
  ),
)

export const volumes = Type.Array(
  Type.Union(
    [
      // name:/path[:ro|rw], or /path alone (an anonymous volume); a host path is refused in code.
      Type.String({ pattern: `^([^:]+:)?/[^:\\s]*(:(ro|rw))?$`, reason: BIND }),
      Type.Object(
        {
          type: Type.Literal('volume', { reason: BIND }),
          source: Type.Optional(Type.String({ pattern: NAME })),
          target: Type.String({ pattern: ABSOLUTE }),
          read_only: Type.Optional(Type.Boolean()),
          volume: Type.Optional(
            Type.Object({ nocopy: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
          ),
        },
        { additionalProperties: false },
      ),
      Type.Object(
        {
          type: Type.Literal('tmpfs'),
          target: Type.String({ pattern: ABSOLUTE }),
          tmpfs: Type.Optional(Type.Object({ size: Type.Optional(Size) }, { additionalProperties: false })),
        },
        { additionalProperties: false },
      ),
    ],
    { reason: BIND },
  ),
)

export const healthcheck = Type.Object(
  {
    test: Type.Optional(StringList),
    interval: Type.Optional(Duration),
    timeout: Type.Optional(Duration),
    start_period: Type.Optional(Duration),
    start_interval: Type.Optional(Duration),
    retries: Type.Optional(Type.Integer({ minimum: 0 })),
    disable: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)

export const Condition = Type.Union(
  ['service_started', 'service_healthy', 'service_completed_successfully'].map((c) => Type.Literal(c)),
  { reason: 'condition is service_started, service_healthy or service_completed_successfully' },
)

export const attachment = Type.Union([
  Type.Null(),
  Type.Object(
    {
      ...refusing(['aliases', 'ipv4_address', 'ipv6_address', 'link_local_ips']),
      priority: Type.Optional(Type.Integer()),
    },
    { additionalProperties: false },
  ),
])

export const network = Type.Union([
  Type.Null(),
  Type.Object(
    {
      driver: Type.Optional(Type.Literal('bridge')),
      name: Type.Optional(Type.String()),
      labels: Type.Optional(Type.Unknown()),
      ...refusing(['internal', 'ipam', 'external', 'driver_opts', 'enable_ipv6', 'attachable']),
    },
    { additionalProperties: false },
  ),
])
