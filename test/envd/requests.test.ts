import { symlinkSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useStore } from '../support/env'
import { call, engineObjects, removeDir, settled, startService, type Service } from './support'

const GOOD = { uid: 1, challenge: 11, compose_file: 'web.yaml' }
const soon = () => new Date(Date.now() + 600_000).toISOString()

describe('bad requests get a 4xx JSON error saying what is wrong, and change nothing', () => {
  let env: ReturnType<typeof useStore>
  let svc: Service

  beforeAll(async () => {
    env = useStore('embedded')
    svc = await startService()
    writeFileSync(
      join(svc.data, 'outside.yaml'),
      'services: {web: {image: "levkit/nginx:1.0", ports: [80]}}\n',
    )
    symlinkSync(join(svc.data, 'outside.yaml'), join(svc.data, 'compose', 'link.yaml'))
  })
  afterAll(async () => {
    await svc.close()
    expect(await engineObjects(svc.instance)).toEqual({ containers: 0, networks: 0, volumes: 0 })
    removeDir(svc.data)
    env.restore()
  })

  const creates: [string, unknown, number, RegExp][] = [
    ['no uid', { challenge: 11, compose_file: 'web.yaml' }, 400, /uid is required/],
    ['no challenge', { uid: 1, compose_file: 'web.yaml' }, 400, /challenge is required/],
    ['no compose_file', { uid: 1, challenge: 11 }, 400, /compose_file is required/],
    ['uid not a number', { ...GOOD, uid: 'abc' }, 400, /uid must be an integer/],
    ['uid negative', { ...GOOD, uid: -1 }, 400, /uid must be an integer/],
    ['uid fractional', { ...GOOD, uid: 1.5 }, 400, /uid must be an integer/],
    ['uid true', { ...GOOD, uid: true }, 400, /uid must be an integer/],
    ['uid null', { ...GOOD, uid: null }, 400, /uid must be an integer/],
    ['uid too large', { ...GOOD, uid: '99999999999' }, 400, /uid must be an integer/],
    ['challenge an object', { ...GOOD, challenge: { a: 1 } }, 400, /challenge must be an integer/],
    ['compose_file empty', { ...GOOD, compose_file: '' }, 400, /compose_file must be a non-empty string/],
    ['flag a number', { ...GOOD, flag: 5 }, 400, /flag must be a string/],
    ['an unknown field', { ...GOOD, expires: soon() }, 400, /unknown field "expires"/],
    [
      'expire not a date',
      { ...GOOD, expire: 'tomorrow' },
      400,
      /expire "tomorrow" is not an ISO 8601 date-time/,
    ],
    ['expire a number', { ...GOOD, expire: 1700000000 }, 400, /expire must be an ISO 8601/],
    ['expire month 13', { ...GOOD, expire: '2030-13-01T00:00:00+00:00' }, 400, /not an ISO 8601/],
    ['expire Feb 30', { ...GOOD, expire: '2030-02-30T00:00:00+00:00' }, 400, /not an ISO 8601/],
    ['a path with ..', { ...GOOD, compose_file: '../outside.yaml' }, 400, /leaves .*compose\//],
    ['an absolute path', { ...GOOD, compose_file: '/etc/hostname' }, 400, /leaves .*compose\//],
    ['a symlink out', { ...GOOD, compose_file: 'link.yaml' }, 400, /leaves .*through a symlink/],
    ['a missing file', { ...GOOD, compose_file: 'nope/docker-compose.yaml' }, 400, /does not exist under/],
    [
      'a folder without a compose file',
      { ...GOOD, compose_file: 'refused' },
      400,
      /is a folder without docker-compose.yaml/,
    ],
    ['a JSON array', [GOOD], 400, /body must be a JSON object/],
    ['not JSON', '{"uid": 1,', 400, /JSON/],
  ]

  it.each(creates)('create with %s', async (_, body, status, message) => {
    const reply = await call(svc.url, 'POST', '/env/create', body)
    expect(reply.status).toBe(status)
    expect(reply.body).toEqual({ status: -1, error: expect.stringMatching(message) })
  })

  const others: [string, 'GET' | 'POST', string, unknown, number, RegExp][] = [
    ['get of an unknown id', 'GET', '/env/get/999', undefined, 404, /there is no environment 999/],
    ['get of a non-integer id', 'GET', '/env/get/abc', undefined, 400, /env_id must be an environment id/],
    ['renew of an unknown id', 'POST', '/env/renew/999', {}, 404, /there is no environment 999/],
    [
      'renew with a bad date',
      'POST',
      '/env/renew/1',
      { expire: '2030-11-14 25:00' },
      400,
      /expire .* is not an ISO 8601/,
    ],
    ['renew with an unknown field', 'POST', '/env/renew/1', { until: soon() }, 400, /unknown field "until"/],
    ['delete of an unknown id', 'GET', '/env/delete/999', undefined, 404, /there is no environment 999/],
    ['delete by POST', 'POST', '/env/delete/1', undefined, 404, /no route POST \/env\/delete\/1/],
    ['an unknown path', 'GET', '/env/nope', undefined, 404, /no route GET \/env\/nope/],
    // Issue 17 (R4): Fastify answered a URL it cannot decode in its own shape, not the service's.
    ['a path that is not a URL component', 'GET', '/env/get/%', undefined, 400, /not a valid url component/],
  ]

  it.each(others)('%s', async (_, method, path, body, status, message) => {
    const reply = await call(svc.url, method, path, body)
    expect(reply.status).toBe(status)
    expect(reply.body).toEqual({ status: -1, error: expect.stringMatching(message) })
  })

  // Issue 17 (R4): what Node's HTTP parser refuses was answered in Fastify's shape.
  it.each([
    ['a header line without a colon', 'GET /env/list HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n', 400],
    ['a request line that is not HTTP', 'HELLO\r\n\r\n', 400],
    ['a header larger than the limit', `GET /env/list HTTP/1.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
  ])('%s: a JSON error in the service shape', async (_, raw, status) => {
    const answer = await rawHttp(svc.url, raw)
    expect(answer.split('\r\n')[0]).toBe(
      `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}`,
    )
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      status: -1,
      error: expect.stringMatching(/^bad request: the HTTP request could not be read/),
    })
  })

  it('after all of them nothing changed: the list is empty, nothing runs, the next create gets id 1', async () => {
    expect((await call(svc.url, 'GET', '/env/list')).body).toEqual([])
    expect(await engineObjects(svc.instance)).toEqual({ containers: 0, networks: 0, volumes: 0 })
    const reply = await call(svc.url, 'POST', '/env/create', { ...GOOD, compose_file: 'noflag.yaml' })
    expect(reply.body).toEqual({ status: 0, id: 1 })
    expect((await settled(svc.url, 1)).body.status).toBe(1)
    expect((await call(svc.url, 'GET', '/env/delete/1')).body).toEqual({ status: 3 })
  })

  it("takes the seed's curl bodies as written: their 2020 expire is past, so the environment is simply expired", async () => {
    const body = {
      uid: '1',
      challenge: 11,
      compose_file: 'noflag.yaml',
      flag: 'flag{test2020}',
      expire: '2020-11-14T02:38:10.732108+00:00',
    }
    const created = await call(svc.url, 'POST', '/env/create', body)
    expect(created).toEqual({ status: 200, body: { status: 0, id: 2 } })
    const got = await call(svc.url, 'GET', '/env/get/2')
    expect(got.body).toMatchObject({ id: 2, expire: '2020-11-14T02:38:10.732000+00:00' })
    await call(svc.url, 'GET', '/env/delete/2')
  })
})

describe('with LEVRT_ENVD_TOKEN set', () => {
  let env: ReturnType<typeof useStore>
  let svc: Service
  const saved = process.env.LEVRT_ENVD_TOKEN

  beforeAll(async () => {
    env = useStore('embedded')
    process.env.LEVRT_ENVD_TOKEN = 's3cret-token'
    svc = await startService()
  })
  afterAll(async () => {
    await svc.close()
    if (saved === undefined) delete process.env.LEVRT_ENVD_TOKEN
    else process.env.LEVRT_ENVD_TOKEN = saved
    removeDir(svc.data)
    env.restore()
  })

  it('a request without the token is refused with 401, and changes nothing', async () => {
    const reply = await call(svc.url, 'POST', '/env/create', GOOD)
    expect(reply).toEqual({
      status: 401,
      body: { status: -1, error: expect.stringMatching(/Authorization: Bearer/) },
    })
    expect(await call(svc.url, 'GET', '/env/list')).toMatchObject({ status: 401 })
  })

  it('a wrong token is refused with 401', async () => {
    const reply = await call(svc.url, 'GET', '/env/list', undefined, { Authorization: 'Bearer nope' })
    expect(reply).toEqual({ status: 401, body: { status: -1, error: 'the bearer token is wrong' } })
  })

  it('the right token is let through; /health needs none', async () => {
    expect(
      await call(svc.url, 'GET', '/env/list', undefined, { Authorization: 'Bearer s3cret-token' }),
    ).toEqual({ status: 200, body: [] })
    expect((await call(svc.url, 'GET', '/health')).status).toBe(200)
  })
})

/** Writes `raw` on a connection of its own; resolves with everything the service sent back. */
function rawHttp(url: string, raw: string): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((done, fail) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(raw))
    let received = ''
    socket.on('data', (c: Buffer) => (received += c.toString('latin1')))
    socket.on('error', fail)
    socket.on('close', () => done(received))
  })
}
