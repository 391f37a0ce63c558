import { cpSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useStore } from '../support/env'
import { call, engineObjects, FIXTURES, removeDir, startService, type Service } from './support'

/**
 * Every refusal of an author's compose file, through the real HTTP API: 422, each problem with
 * its path, the reason and what to write instead, all of them at once, and nothing created.
 */

const AUTHORS = resolve(__dirname, '../fixtures/envd/authors')

/** [file under authors/refused/, [path, reason]...]: every problem the file has. */
const REFUSALS: [string, [string, RegExp][]][] = [
  ['empty', [['(the file)', /a compose file is a map with services:/]]],
  [
    'healthy-without-check',
    [
      [
        'services.web.depends_on.db',
        /db's healthcheck is disabled, so it never becomes healthy: .* condition: service_started/,
      ],
    ],
  ],
  ['not-a-service', [['services.web', /a service is a map: \{image: name:tag, ports: \[80\], \.\.\.\}/]]],
  [
    'jail',
    [
      [
        'services.chall.privileged',
        /privileged containers are refused.*run the binary under socat or xinetd/,
      ],
    ],
  ],
  [
    'many',
    [
      [
        'services.front.image, services.back.image',
        /image must name a version: name:tag .* e\.g\. nginx:1\.25/,
      ],
      ['services.front.ports[0]', /a published host port .* write the container port alone/],
      ['services.front.privileged, services.back.privileged', /privileged containers are refused/],
      [
        'services.front.container_name, services.back.container_name, services.worker.container_name',
        /container_name is refused.*delete it/,
      ],
      ['services.back.sysctls', /sysctls are refused/],
      [
        'services.back.volumes[0]',
        /bind mounts of host paths are refused .* COPY the files into the image, or use a named volume/,
      ],
      ['services.worker.image', /image is required: the service never builds \(build is ignored\)/],
    ],
  ],
  [
    'networks-several',
    [['services.web.networks', /an environment is one network: several networks are refused; delete it/]],
  ],
  ['networks-partial', [['services.db', /every service must join the one network .*joins "default"/]]],
  [
    'networks-options',
    [
      [
        'services.web.networks.inner.aliases',
        /network aliases are refused: delete it: .* reach each other by service name/,
      ],
      ['services.web.networks.inner.ipv4_address', /a fixed address is refused/],
      ['networks.inner.internal', /internal networks are refused: delete it/],
      ['networks.inner.ipam', /ipam is refused/],
      ['networks.outer.external', /external networks are refused/],
    ],
  ],
  ['ports-strings', [['services.web.ports[0], services.db.ports[0]', /from 1 to 65535/]]],
  [
    'flag-root',
    [
      [
        'services.web.volumes[0], services.other.volumes[0]',
        /a flag volume may not be mounted at \/ or over a system folder .* flag:\/flag/,
      ],
    ],
  ],
  [
    'unset-variable',
    [
      [
        'services.web.environment[0]',
        /variable SECRET_KEY is not set: .* set SECRET_KEY=\.\.\. in the \.env file .* or write \$\{SECRET_KEY:-default\}/,
      ],
      // HOME is set on the host: it must not count.
      ['services.web.environment[1]', /variable HOME is not set/],
      ['services.web.environment[2]', /variable TOKEN is required: set TOKEN to the API token/],
      ['services.web.environment[3]', /a lone "\$" at \d+ \(write \$\$ for a literal \$/],
      ['services.web.environment[4]', /WHO has no value: .* write WHO=value, or set WHO in the \.env file/],
    ],
  ],
  [
    'flag-in-command',
    [
      [
        'services.web.command, services.web.labels.flag',
        /the flag can only go into an environment variable .* write \$\$FLAG/,
      ],
    ],
  ],
  [
    'env-file-outside',
    [
      ['services.web.env_file[0]', /"\.\.\/secrets\.env" is outside the compose file's folder/],
      ['services.web.env_file[1]', /"missing\.env" does not exist beside the compose file/],
    ],
  ],
  [
    'odd-keys',
    [
      ['services.web.blkio_config', /blkio_config is not supported: delete it/],
      [
        'services.web.environment',
        /environment is a list of KEY=value \(or a bare KEY\) or a map of KEY: value/,
      ],
      [
        'services.web.depends_on.db.condition',
        /condition is service_started, service_healthy or service_completed_successfully/,
      ],
      ['services.web.healthcheck.interval', /a duration is like 500ms, 10s or 1m30s/],
      ['services.web.labels[0]', /labels is a list of key=value or a map of key: value/],
      ['services.web.security_opt[0]', /only no-new-privileges .* is accepted/],
      ['services.web.deploy.replicas', /replicas is not supported/],
      ['services.web.links[0]', /a link alias is refused: .* write "db" and connect to db/],
      ['services.web.ulimits.rtprio', /only the nofile, nproc, core, stack, memlock ulimits are accepted/],
      ['services.db.volumes[0]', /the Docker socket is never mounted/],
      ['services.db.mem_limit', /a memory limit below 6m/],
    ],
  ],
]

/** What a schema library says, which must never reach an author. */
const LIBRARY_WORDING = /expected|union|must match|anyOf|\(and \d+ more\)/i

describe('compose refusals an author can act on', () => {
  let store: ReturnType<typeof useStore>
  let svc: Service

  beforeAll(async () => {
    store = useStore('embedded')
    const data = mkdtempSync(join(tmpdir(), 'levrt-envd-refusals-'))
    cpSync(AUTHORS, join(data, 'compose'), { recursive: true })
    cpSync(join(FIXTURES, 'refused'), join(data, 'compose', 'seed-refused'), { recursive: true })
    svc = await startService({ data })
  })
  afterAll(async () => {
    await svc.close()
    expect(await engineObjects(svc.instance)).toEqual({ containers: 0, networks: 0, volumes: 0 })
    removeDir(svc.data)
    store.restore()
  })

  it.each(REFUSALS)('refuses refused/%s.yaml, listing every problem with its fix', async (file, problems) => {
    const reply = await call(svc.url, 'POST', '/env/create', {
      uid: 1,
      challenge: 1,
      compose_file: `refused/${file}.yaml`,
    })
    expect(reply.status).toBe(422)
    const error: string = reply.body.error
    expect(error).toMatch(new RegExp(`^compose_file "refused/${file}\\.yaml" is refused: `))
    const lines = error.split('\n').slice(problems.length === 1 ? 0 : 1)
    expect(lines).toHaveLength(problems.length)
    if (problems.length > 1)
      expect(error).toContain(`${problems.reduce((n, [p]) => n + p.split(', ').length, 0)} problems:`)
    for (const [path, reason] of problems) {
      const line = lines.find((l) =>
        l.replace(/^(- |compose_file ".*?" is refused: )/, '').startsWith(`${path}: `),
      )
      expect(line, `${path} in\n${error}`).toBeDefined()
      expect(line).toMatch(reason)
    }
    expect(error).not.toMatch(LIBRARY_WORDING)
  })

  it('no refusal of the earlier fixtures uses schema-library wording either', async () => {
    for (const f of readdirSync(join(FIXTURES, 'refused'))) {
      const reply = await call(svc.url, 'POST', '/env/create', {
        uid: 1,
        challenge: 1,
        compose_file: `seed-refused/${f}`,
      })
      expect(reply.status, f).toBe(422)
      expect(reply.body.error, f).not.toMatch(LIBRARY_WORDING)
    }
  })

  it('an .env or env_file that leads out of the folder through a symlink is refused, not read', async () => {
    const dir = join(svc.data, 'compose', 'symlinked')
    mkdirSync(dir)
    symlinkSync('/etc/hostname', join(dir, '.env'))
    symlinkSync('/etc/passwd', join(dir, 'app.env'))
    writeFileSync(
      join(dir, 'docker-compose.yml'),
      'services:\n  web:\n    image: levkit/nginx:1.0\n    ports: [80]\n    env_file: app.env\n',
    )
    const reply = await call(svc.url, 'POST', '/env/create', {
      uid: 1,
      challenge: 1,
      compose_file: 'symlinked',
    })
    expect(reply.status).toBe(422)
    expect(reply.body.error).toContain(
      '- .env: ".env" leads out of the compose file\'s folder (through a symlink)',
    )
    expect(reply.body.error).toContain(
      '- services.web.env_file: "app.env" leads out of the compose file\'s folder',
    )
  })

  it('refusals create nothing', async () => {
    expect((await call(svc.url, 'GET', '/env/list')).body).toEqual([])
    expect(await engineObjects(svc.instance)).toEqual({ containers: 0, networks: 0, volumes: 0 })
  })
})
