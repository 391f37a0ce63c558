import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useStore } from '../support/env'
import {
  call,
  containerOf,
  engineObjects,
  exec,
  removeDir,
  settled,
  startService,
  type Service,
} from './support'

/** [fixture under compose/refused/, the path named, the reason given] */
const refused: [string, string, RegExp][] = [
  ['privileged', 'services.web.privileged', /privileged containers are refused/],
  ['network-host', 'services.web.network_mode', /host namespaces are refused/],
  ['pid-host', 'services.web.pid', /host namespaces are refused/],
  ['ipc-host', 'services.web.ipc', /host namespaces are refused/],
  ['uts-host', 'services.web.uts', /host namespaces are refused/],
  ['cap-add', 'services.web.cap_add[1]', /cap_add may only add .*NET_BIND_SERVICE/],
  ['devices', 'services.web.devices', /devices are refused/],
  ['bind-mount', 'services.web.volumes[0]', /bind mounts of host paths are refused/],
  ['bind-long', 'services.web.volumes[0]', /bind mounts of host paths are refused/],
  ['docker-sock', 'services.web.volumes[0]', /the Docker socket is never mounted/],
  ['container-name', 'services.web.container_name', /container_name is refused/],
  ['published-port', 'services.web.ports[0]', /a published host port .* is refused/],
  ['published-long', 'services.web.ports[0]', /a published host port .* is refused/],
  ['no-tag', 'services.web.image', /image must name a version/],
  ['latest-tag', 'services.web.image', /image must name a version/],
  [
    'two-ports',
    'services.web.ports[0]',
    /exposes exactly one port .* found 2: services.web.ports\[0\] \(80\/tcp\), services.db.ports\[0\] \(6379\/tcp\)/,
  ],
  ['no-port', 'an environment', /exposes exactly one port .* found none/],
  ['unsupported', 'services.web.sysctls', /sysctls are refused/],
  ['undeclared-volume', 'services.web.volumes[0]', /volume "data" is not declared/],
  ['bad-yaml', 'compose_file', /is not valid YAML/],
  ['collection-key', 'compose_file', /a key must be a plain value, not a list or a map \(\["a","b"\]\)/],
  ['binary-key', 'compose_file', /a key must be a plain value, not a list or a map/],
  ['cyclic-alias', 'compose_file', /an alias \(\*name\) refers to a node that contains it/],
]

describe('compose policy', () => {
  let env: ReturnType<typeof useStore>
  let svc: Service

  beforeAll(async () => {
    env = useStore('embedded')
    svc = await startService()
  })
  afterAll(async () => {
    await svc.close()
    expect(await engineObjects(svc.instance)).toEqual({ containers: 0, networks: 0, volumes: 0 })
    removeDir(svc.data)
    env.restore()
  })

  it.each(refused)('refuses %s, naming %s', async (fixture, path, reason) => {
    const reply = await call(svc.url, 'POST', '/env/create', {
      uid: 1,
      challenge: 1,
      compose_file: `refused/${fixture}.yaml`,
    })
    expect(reply.status).toBe(422)
    expect(reply.body.status).toBe(-1)
    expect(reply.body.error).toContain(`compose_file "refused/${fixture}.yaml"`)
    expect(reply.body.error).toContain(path)
    expect(reply.body.error).toMatch(reason)
  })

  it('refusals create nothing', async () => {
    expect((await call(svc.url, 'GET', '/env/list')).body).toEqual([])
    expect(await engineObjects(svc.instance)).toEqual({ containers: 0, networks: 0, volumes: 0 })
  })

  it('accepts the supported subset: merge keys, two services in depends_on order, a flag volume and a named volume', async () => {
    const { body } = await call(svc.url, 'POST', '/env/create', {
      uid: 5,
      challenge: 2,
      compose_file: 'multi.yaml',
      flag: 'flag{multi}',
    })
    expect(body).toEqual({ status: 0, id: 1 })
    expect((await settled(svc.url, 1)).body.status).toBe(1)
    const web = await containerOf(svc.instance, 1, 'web')
    expect((await exec(web, ['cat', '/flag/flag'])).output).toBe('flag{multi}')
    // The merged environment, the named volume, and the other service by its name (a private link).
    expect(
      (await exec(web, ['sh', '-c', 'echo "$MODE"; touch /var/cache/app/ok && echo mounted'])).output,
    ).toBe('test\nmounted\n')
    expect((await exec(web, ['getent', 'hosts', 'db'])).code).toBe(0)
    // The named volume, and the flag's own.
    expect(await engineObjects(svc.instance, 1)).toMatchObject({ containers: 2, volumes: 2 })
    expect((await call(svc.url, 'GET', '/env/delete/1')).body).toEqual({ status: 3 })
    expect(await engineObjects(svc.instance, 1)).toEqual({ containers: 0, networks: 0, volumes: 0 })
  })

  it('a flag volume without a flag is mounted empty; the environment still starts', async () => {
    const { body } = await call(svc.url, 'POST', '/env/create', {
      uid: 5,
      challenge: 3,
      compose_file: 'noflag.yaml',
    })
    expect((await settled(svc.url, body.id)).body.status).toBe(1)
    const web = await containerOf(svc.instance, body.id, 'web')
    expect(await exec(web, ['ls', '-A', '/flag'])).toEqual({ code: 0, output: '' })
    await call(svc.url, 'GET', `/env/delete/${body.id}`)
  })
})
