import { Type, type Static } from '@sinclair/typebox'
import { IMAGE, REFUSED, SECURITY_OPT } from './reasons'
import {
  ABSOLUTE,
  TMPFS,
  Condition,
  Cpus,
  Duration,
  IMAGE_PATTERN,
  Limits,
  NAME,
  Scalar,
  Size,
  StringList,
  Ulimit,
  attachment,
  capabilities,
  healthcheck,
  network,
  ports,
  refusing,
  volumes,
} from './schema-parts'

/**
 * The subset of the compose format an environment may use, as a schema of shapes: anything not
 * named here is refused with its path. A node that can fail carries `reason` (what to write
 * instead), which the refusal quotes; rules a schema cannot say (one port, one network, flag
 * places, limits) are checked in code afterwards.
 */
export function serviceSchema(capAllow: readonly string[]) {
  return Type.Object(
    {
      image: Type.Optional(Type.String({ pattern: IMAGE_PATTERN, reason: IMAGE })),
      build: Type.Optional(Type.Unknown()), // ignored: every node must already have the image
      pull_policy: Type.Optional(Type.String()), // ignored: nothing is pulled
      ports: Type.Optional(ports),
      expose: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Integer()]))),
      volumes: Type.Optional(volumes),
      // `/run` or `/run:size=16m,mode=1777`: the options are dropped (memory is held by the limit).
      tmpfs: Type.Optional(
        Type.Union([Type.String({ pattern: TMPFS }), Type.Array(Type.String({ pattern: TMPFS }))]),
      ),
      environment: Type.Optional(
        Type.Union([Type.Record(Type.String(), Scalar), Type.Array(Type.String({ minLength: 1 }))]),
      ),
      env_file: Type.Optional(
        Type.Union([
          Type.String(),
          Type.Array(
            Type.Union([
              Type.String(),
              Type.Object(
                { path: Type.String(), required: Type.Optional(Type.Boolean()) },
                { additionalProperties: false },
              ),
            ]),
          ),
        ]),
      ),
      command: Type.Optional(StringList),
      entrypoint: Type.Optional(StringList),
      working_dir: Type.Optional(Type.String({ pattern: ABSOLUTE })),
      user: Type.Optional(Type.Union([Type.String(), Type.Integer()])),
      hostname: Type.Optional(Type.String({ pattern: NAME })),
      restart: Type.Optional(Type.String({ pattern: '^(no|always|unless-stopped|on-failure(:[0-9]+)?)$' })),
      depends_on: Type.Optional(
        Type.Union([
          Type.Array(Type.String({ pattern: NAME })),
          Type.Record(
            Type.String({ pattern: NAME }),
            Type.Object(
              {
                condition: Type.Optional(Condition),
                restart: Type.Optional(Type.Boolean()),
                required: Type.Optional(Type.Boolean()),
              },
              { additionalProperties: false },
            ),
          ),
        ]),
      ),
      links: Type.Optional(Type.Array(Type.String())),
      networks: Type.Optional(
        Type.Union([
          Type.Array(Type.String({ pattern: NAME })),
          Type.Record(Type.String({ pattern: NAME }), attachment),
        ]),
      ),
      read_only: Type.Optional(Type.Boolean()),
      init: Type.Optional(Type.Boolean()),
      tty: Type.Optional(Type.Boolean()),
      stdin_open: Type.Optional(Type.Boolean()),
      stop_grace_period: Type.Optional(Duration),
      stop_signal: Type.Optional(Type.String({ pattern: '^(SIG)?[A-Z0-9+-]+$' })),
      healthcheck: Type.Optional(healthcheck),
      cap_add: Type.Optional(Type.Array(capabilities(capAllow))),
      cap_drop: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z_]+$' }))),
      labels: Type.Optional(
        Type.Union([Type.Record(Type.String(), Scalar), Type.Array(Type.String({ pattern: '^[^=]+' }))]),
      ),
      security_opt: Type.Optional(
        Type.Array(Type.String({ pattern: '^no-new-privileges([:=]true)?$', reason: SECURITY_OPT }), {
          reason: SECURITY_OPT,
        }),
      ),
      logging: Type.Optional(
        Type.Object(
          { driver: Type.Optional(Type.String()), options: Type.Optional(Type.Unknown()) },
          { additionalProperties: false },
        ),
      ),
      mem_limit: Type.Optional(Size),
      memswap_limit: Type.Optional(Size), // held to mem_limit anyway: no swap beyond the limit
      // Soft hints, below the hard limits that hold anyway: ignored.
      mem_reservation: Type.Optional(Size),
      cpu_shares: Type.Optional(Type.Integer()),
      platform: Type.Optional(Type.String()), // ignored: the node's image is what runs
      shm_size: Type.Optional(Size),
      cpus: Type.Optional(Cpus),
      pids_limit: Type.Optional(Type.Integer()),
      ulimits: Type.Optional(Type.Record(Type.String(), Ulimit)),
      deploy: Type.Optional(
        Type.Object(
          {
            resources: Type.Optional(
              Type.Object(
                { limits: Type.Optional(Limits), reservations: Type.Optional(Type.Unknown()) },
                { additionalProperties: false },
              ),
            ),
          },
          { additionalProperties: false },
        ),
      ),
      privileged: Type.Optional(Type.Literal(false, { reason: REFUSED.privileged })),
      ...refusing([
        'network_mode',
        'pid',
        'ipc',
        'uts',
        'userns_mode',
        'cgroup_parent',
        'cgroup',
        'devices',
        'device_cgroup_rules',
        'container_name',
        'sysctls',
        'volumes_from',
        'extra_hosts',
        'dns',
        'external_links',
        'isolation',
        'runtime',
        'oom_kill_disable',
        'oom_score_adj',
        'mac_address',
        'configs',
        'secrets',
      ]),
    },
    { additionalProperties: false },
  )
}

export function composeSchema(capAllow: readonly string[]) {
  return Type.Object(
    {
      version: Type.Optional(Type.Union([Type.String(), Type.Number()])),
      name: Type.Optional(Type.String()),
      services: Type.Record(Type.String({ pattern: NAME }), serviceSchema(capAllow), {
        minProperties: 1,
        additionalProperties: false,
      }),
      volumes: Type.Optional(
        Type.Record(
          Type.String({ pattern: NAME }),
          Type.Union([Type.Null(), Type.Object({}, { additionalProperties: false })], {
            reason:
              'a volume takes no options (driver, external, ... are not supported): ' +
              'write it as `name:` alone',
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
