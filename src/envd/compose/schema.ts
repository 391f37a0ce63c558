import { Type, type Static, type TSchema } from '@sinclair/typebox'

/**
 * The subset of the compose format an environment may use, as a schema: anything not named
 * here is refused with its path. Fields that are refused for a reason (not merely unsupported)
 * are named with `Never`/a narrow type and carry `reason`, which the refusal message quotes.
 */

/** A refusal's explanation, kept on the schema node that fails. */
function refused(reason: string): TSchema {
  return Type.Optional(Type.Never({ reason }))
}

const NAME = '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$'
const ABSOLUTE = '^/[^:\\s]*$'
// registry[:port]/path/name then a tag that is not `latest`, and/or a digest.
const IMAGE =
  '^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*' +
  '(?::(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(?:@sha256:[a-f0-9]{64})?|@sha256:[a-f0-9]{64})$'

const HOST_NAMESPACE = 'host namespaces are refused: an environment runs in its own network, pid, ipc and uts namespaces'
const BIND =
  'only named volumes and tmpfs can be mounted ("name:/path[:ro]", or {type: volume|tmpfs, ...}): ' +
  'bind mounts of host paths are refused, since a compose task may run on any node and a host path hands the container the host'
const PORT =
  'a port is 80, "80/tcp" or {target: 80, protocol: tcp}; a published host port ("8080:80", published: 8080) is refused: the service picks it from --ports'

const StringList = Type.Union([Type.String(), Type.Array(Type.String())])

export function serviceSchema(capAllow: readonly string[]) {
  const capability = Type.Union(
    capAllow.flatMap((c) => [Type.Literal(c), Type.Literal(`CAP_${c}`)]),
    { reason: `cap_add may only add ${capAllow.join(', ')}` },
  )
  return Type.Object(
    {
      image: Type.String({ pattern: IMAGE, reason: 'image must name a version: name:tag (a tag other than latest) or name@sha256:digest' }),
      // Accepted and ignored: every node must already have the image (the seed's rule).
      build: Type.Optional(Type.Unknown()),
      ports: Type.Optional(
        Type.Array(
          Type.Union(
            [
              Type.String({ pattern: '^[0-9]{1,5}(/(tcp|udp))?$' }),
              Type.Integer({ minimum: 1, maximum: 65535 }),
              Type.Object(
                {
                  target: Type.Integer({ minimum: 1, maximum: 65535 }),
                  protocol: Type.Optional(Type.Union([Type.Literal('tcp'), Type.Literal('udp')])),
                  mode: Type.Optional(Type.Union([Type.Literal('ingress'), Type.Literal('host')])),
                },
                { additionalProperties: false },
              ),
            ],
            { reason: PORT },
          ),
        ),
      ),
      // Ports reachable inside the environment's network only: nothing to do.
      expose: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Integer()]))),
      volumes: Type.Optional(
        Type.Array(
          Type.Union(
            [
              Type.String({ pattern: `^[a-zA-Z0-9][a-zA-Z0-9_.-]*:/[^:\\s]*(:(ro|rw))?$` }),
              Type.Object(
                {
                  type: Type.Literal('volume'),
                  source: Type.String({ pattern: NAME }),
                  target: Type.String({ pattern: ABSOLUTE }),
                  read_only: Type.Optional(Type.Boolean()),
                },
                { additionalProperties: false },
              ),
              Type.Object({ type: Type.Literal('tmpfs'), target: Type.String({ pattern: ABSOLUTE }) }, { additionalProperties: false }),
            ],
            { reason: BIND },
          ),
        ),
      ),
      tmpfs: Type.Optional(Type.Union([Type.String({ pattern: ABSOLUTE }), Type.Array(Type.String({ pattern: ABSOLUTE }))])),
      environment: Type.Optional(
        Type.Union([
          Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
          // A bare `KEY` would copy the service's own environment in: refused by the pattern.
          Type.Array(Type.String({ pattern: '^[^=]+=' })),
        ]),
      ),
      command: Type.Optional(StringList),
      entrypoint: Type.Optional(StringList),
      working_dir: Type.Optional(Type.String({ pattern: ABSOLUTE })),
      user: Type.Optional(Type.String()),
      hostname: Type.Optional(Type.String({ pattern: NAME })),
      restart: Type.Optional(Type.Union(['no', 'always', 'on-failure', 'unless-stopped'].map((r) => Type.Literal(r)))),
      depends_on: Type.Optional(
        Type.Union([
          Type.Array(Type.String({ pattern: NAME })),
          Type.Record(Type.String({ pattern: NAME }), Type.Object({ condition: Type.Optional(Type.String()) }, { additionalProperties: false })),
        ]),
      ),
      read_only: Type.Optional(Type.Boolean()),
      init: Type.Optional(Type.Boolean()),
      cap_add: Type.Optional(Type.Array(capability)),
      cap_drop: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z_]+$' }))),
      labels: Type.Optional(Type.Union([Type.Record(Type.String(), Type.String()), Type.Array(Type.String({ pattern: '^[^=]+=' }))])),
      privileged: Type.Optional(Type.Literal(false, { reason: 'privileged containers are refused: they own the host' })),
      network_mode: refused(`network_mode is refused: the service puts every environment on its uid's network (${HOST_NAMESPACE})`),
      networks: refused('networks are refused: the service puts every environment on its uid\'s own network'),
      pid: refused(`pid is refused: ${HOST_NAMESPACE}`),
      ipc: refused(`ipc is refused: ${HOST_NAMESPACE}`),
      uts: refused(`uts is refused: ${HOST_NAMESPACE}`),
      userns_mode: refused(`userns_mode is refused: ${HOST_NAMESPACE}`),
      cgroup_parent: refused('cgroup_parent is refused: the service sets the limits'),
      devices: refused('devices are refused: no host device is handed to an environment'),
      container_name: refused('container_name is refused: names are the service\'s, so many players can run one challenge'),
      security_opt: refused('security_opt is refused: the service sets no-new-privileges and the default seccomp/AppArmor profiles'),
      sysctls: refused('sysctls are refused'),
      volumes_from: refused('volumes_from is refused: use named volumes'),
      links: refused('links are refused: services reach each other by service name'),
    },
    { additionalProperties: false },
  )
}

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
      networks: refused('networks are refused: the service puts every environment on its uid\'s own network'),
      configs: refused('configs are refused: COPY files into the image'),
      secrets: refused('secrets are refused: the flag comes through a flag volume'),
    },
    { additionalProperties: false },
  )
}

export type ComposeFile = Static<ReturnType<typeof composeSchema>>
export type ComposeService = Static<ReturnType<typeof serviceSchema>>
