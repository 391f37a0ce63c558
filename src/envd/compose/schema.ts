import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { BIND, IMAGE, PORT, REFUSED, SECURITY_OPT } from './reasons'

/**
 * The subset of the compose format an environment may use, as a schema of shapes: anything not
 * named here is refused with its path. A node that can fail carries `reason` (what to write
 * instead), which the refusal quotes; rules a schema cannot say (one port, one network, flag
 * places, limits) are checked in code afterwards.
 */

/** A key refused for the reason REFUSED gives. */
function refused(key: string): TSchema {
  return Type.Optional(Type.Never({ reason: REFUSED[key] }))
}

function refusing(keys: readonly string[]): Record<string, TSchema> {
  return Object.fromEntries(keys.map((k) => [k, refused(k)]))
}

const NAME = '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$'
const ABSOLUTE = '^/[^:\\s]*$'
// registry[:port]/path/name then a tag that is not `latest`, and/or a digest.
const IMAGE_PATTERN =
  '^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*' +
  '(?::(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(?:@sha256:[a-f0-9]{64})?|@sha256:[a-f0-9]{64})$'

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])
const StringList = Type.Union([Type.String(), Type.Array(Type.String())])
const Size = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*[bkmgBKMG]?[bB]?\\s*$' })])
const Duration = Type.String({ pattern: '^(\\d+(\\.\\d+)?(ns|us|µs|ms|s|m|h))+$', reason: 'a duration is like 500ms, 10s or 1m30s' })
const Cpus = Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*$' })])
const Ulimit = Type.Union([Type.Integer(), Type.Object({ soft: Type.Integer(), hard: Type.Integer() }, { additionalProperties: false })])
const Limits = Type.Object(
  { cpus: Type.Optional(Cpus), memory: Type.Optional(Size), pids: Type.Optional(Type.Integer()) },
  { additionalProperties: false },
)

function capabilities(capAllow: readonly string[]) {
  return Type.Union(
    capAllow.flatMap((c) => [Type.Literal(c), Type.Literal(`CAP_${c}`)]),
    { reason: `cap_add may only add ${capAllow.join(', ')} (--cap-allow); delete the others` },
  )
}

const ports = Type.Array(
  Type.Union(
    [
      Type.String({ pattern: '^[0-9]{1,5}(/(tcp|udp))?$', reason: PORT }),
      Type.Integer({ minimum: 1, maximum: 65535, reason: PORT }),
      Type.Object(
        {
          target: Type.Integer({ minimum: 1, maximum: 65535, reason: PORT }),
          protocol: Type.Optional(Type.Union([Type.Literal('tcp'), Type.Literal('udp')], { reason: 'protocol is tcp or udp' })),
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

const volumes = Type.Array(
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
          volume: Type.Optional(Type.Object({ nocopy: Type.Optional(Type.Boolean()) }, { additionalProperties: false })),
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

const healthcheck = Type.Object(
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

const Condition = Type.Union(
  ['service_started', 'service_healthy', 'service_completed_successfully'].map((c) => Type.Literal(c)),
  { reason: 'condition is service_started, service_healthy or service_completed_successfully' },
)

const attachment = Type.Union([
  Type.Null(),
  Type.Object({ ...refusing(['aliases', 'ipv4_address', 'ipv6_address', 'link_local_ips']), priority: Type.Optional(Type.Integer()) }, { additionalProperties: false }),
])

export function serviceSchema(capAllow: readonly string[]) {
  return Type.Object(
    {
      image: Type.Optional(Type.String({ pattern: IMAGE_PATTERN, reason: IMAGE })),
      build: Type.Optional(Type.Unknown()), // ignored: every node must already have the image
      pull_policy: Type.Optional(Type.String()), // ignored: nothing is pulled
      ports: Type.Optional(ports),
      expose: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Integer()]))),
      volumes: Type.Optional(volumes),
      tmpfs: Type.Optional(Type.Union([Type.String({ pattern: ABSOLUTE }), Type.Array(Type.String({ pattern: ABSOLUTE }))])),
      environment: Type.Optional(Type.Union([Type.Record(Type.String(), Scalar), Type.Array(Type.String({ minLength: 1 }))])),
      env_file: Type.Optional(
        Type.Union([
          Type.String(),
          Type.Array(Type.Union([Type.String(), Type.Object({ path: Type.String(), required: Type.Optional(Type.Boolean()) }, { additionalProperties: false })])),
        ]),
      ),
      command: Type.Optional(StringList),
      entrypoint: Type.Optional(StringList),
      working_dir: Type.Optional(Type.String({ pattern: ABSOLUTE })),
      user: Type.Optional(Type.Union([Type.String(), Type.Integer()])),
      hostname: Type.Optional(Type.String({ pattern: NAME })),
      restart: Type.Optional(Type.Union(['no', 'always', 'on-failure', 'unless-stopped'].map((r) => Type.Literal(r)))),
      depends_on: Type.Optional(
        Type.Union([
          Type.Array(Type.String({ pattern: NAME })),
          Type.Record(
            Type.String({ pattern: NAME }),
            Type.Object(
              { condition: Type.Optional(Condition), restart: Type.Optional(Type.Boolean()), required: Type.Optional(Type.Boolean()) },
              { additionalProperties: false },
            ),
          ),
        ]),
      ),
      links: Type.Optional(Type.Array(Type.String())),
      networks: Type.Optional(Type.Union([Type.Array(Type.String({ pattern: NAME })), Type.Record(Type.String({ pattern: NAME }), attachment)])),
      read_only: Type.Optional(Type.Boolean()),
      init: Type.Optional(Type.Boolean()),
      tty: Type.Optional(Type.Boolean()),
      stdin_open: Type.Optional(Type.Boolean()),
      stop_grace_period: Type.Optional(Duration),
      stop_signal: Type.Optional(Type.String({ pattern: '^(SIG)?[A-Z0-9+-]+$' })),
      healthcheck: Type.Optional(healthcheck),
      cap_add: Type.Optional(Type.Array(capabilities(capAllow))),
      cap_drop: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z_]+$' }))),
      labels: Type.Optional(Type.Union([Type.Record(Type.String(), Scalar), Type.Array(Type.String({ pattern: '^[^=]+' }))])),
      security_opt: Type.Optional(
        Type.Array(Type.String({ pattern: '^no-new-privileges([:=]true)?$', reason: SECURITY_OPT }), { reason: SECURITY_OPT }),
      ),
      logging: Type.Optional(Type.Object({ driver: Type.Optional(Type.String()), options: Type.Optional(Type.Unknown()) }, { additionalProperties: false })),
      mem_limit: Type.Optional(Size),
      memswap_limit: Type.Optional(Size), // held to mem_limit anyway: no swap beyond the limit
      shm_size: Type.Optional(Size),
      cpus: Type.Optional(Cpus),
      pids_limit: Type.Optional(Type.Integer()),
      ulimits: Type.Optional(Type.Record(Type.String(), Ulimit)),
      deploy: Type.Optional(
        Type.Object(
          {
            resources: Type.Optional(
              Type.Object({ limits: Type.Optional(Limits), reservations: Type.Optional(Type.Unknown()) }, { additionalProperties: false }),
            ),
          },
          { additionalProperties: false },
        ),
      ),
      privileged: Type.Optional(Type.Literal(false, { reason: REFUSED.privileged })),
      ...refusing([
        'network_mode', 'pid', 'ipc', 'uts', 'userns_mode', 'cgroup_parent', 'cgroup', 'devices', 'device_cgroup_rules',
        'container_name', 'sysctls', 'volumes_from', 'extra_hosts', 'dns', 'external_links', 'isolation', 'runtime',
        'oom_kill_disable', 'oom_score_adj', 'mac_address', 'configs', 'secrets',
      ]),
    },
    { additionalProperties: false },
  )
}

const network = Type.Union([
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

export function composeSchema(capAllow: readonly string[]) {
  return Type.Object(
    {
      version: Type.Optional(Type.Union([Type.String(), Type.Number()])),
      name: Type.Optional(Type.String()),
      services: Type.Record(Type.String({ pattern: NAME }), serviceSchema(capAllow), { minProperties: 1, additionalProperties: false }),
      volumes: Type.Optional(
        Type.Record(
          Type.String({ pattern: NAME }),
          Type.Union([Type.Null(), Type.Object({}, { additionalProperties: false })], {
            reason: 'a volume takes no options (driver, external, ... are not supported): write it as `name:` alone',
          }),
          { additionalProperties: false },
        ),
      ),
      networks: Type.Optional(Type.Record(Type.String({ pattern: NAME }), network)),
      ...refusing(['configs', 'secrets']),
    },
    { additionalProperties: false },
  )
}

export type ComposeFile = Static<ReturnType<typeof composeSchema>>
export type ComposeService = Static<ReturnType<typeof serviceSchema>>
