import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useStore } from '../support/env'
import { call, engineObjects, removeDir, settled, startService, type Service } from './support'

/**
 * envd the Fastify way (issue 13, item 5): the environments reach the routes as a decorator, the
 * token guards every path but `/health` (with a query or not), and the state machine's domain
 * errors get their statuses from the HTTP layer.
 */

const TOKEN = 'plugin-token'
const AUTH = { Authorization: `Bearer ${TOKEN}` }

describe('envd over Fastify plugins', () => {
  let env: ReturnType<typeof useStore>
  let svc: Service

  beforeAll(async () => {
    env = useStore('embedded')
    svc = await startService({ token: TOKEN, maxPerUid: 1 })
  })
  afterAll(async () => {
    for (const e of (await call(svc.url, 'GET', '/env/list', undefined, AUTH)).body)
      await call(svc.url, 'GET', `/env/delete/${e.id}`, undefined, AUTH)
    await svc.close()
    expect(await engineObjects(svc.instance)).toEqual({ containers: 0, networks: 0, volumes: 0 })
    removeDir(svc.data)
    env.restore()
  })

  it('the environments are a decorator of the app, the very object the service runs', () => {
    expect(svc.envd.app.hasDecorator('environments')).toBe(true)
    expect(svc.envd.app.environments).toBe(svc.envd.environments)
  })

  it('/health needs no token, with or without a query', async () => {
    expect((await call(svc.url, 'GET', '/health')).status).toBe(200)
    expect((await call(svc.url, 'GET', '/health?x=1')).status).toBe(200)
  })

  it('everything else needs it, query or not, known route or not: /metrics too', async () => {
    for (const path of [
      '/env/list',
      '/env/list?x=1',
      '/env/get/1',
      '/env/nope',
      '/metrics',
      '/nope',
      '/health/x',
    ]) {
      expect((await call(svc.url, 'GET', path)).status, path).toBe(401)
    }
    const metrics = await fetch(`${svc.url}/metrics`, { headers: AUTH })
    expect(metrics.status).toBe(200)
    expect(await metrics.text()).toMatch(/^# TYPE levrt_envd_environments gauge$/m)
    expect(await call(svc.url, 'GET', '/nope', undefined, AUTH)).toEqual({
      status: 404,
      body: { status: -1, error: 'no route GET /nope' },
    })
    expect(await call(svc.url, 'GET', '/env/nope', undefined, AUTH)).toEqual({
      status: 404,
      body: { status: -1, error: 'no route GET /env/nope' },
    })
    expect((await call(svc.url, 'GET', '/env/list?x=1', undefined, AUTH)).status).toBe(200)
  })

  it('not found is 404, over a cap 429, a renew of what is not healthy 409', async () => {
    expect(await call(svc.url, 'GET', '/env/get/999', undefined, AUTH)).toEqual({
      status: 404,
      body: { status: -1, error: 'there is no environment 999' },
    })
    const failed = await call(
      svc.url,
      'POST',
      '/env/create',
      { uid: 5, challenge: 1, compose_file: 'exits.yaml' },
      AUTH,
    )
    expect((await settled(svc.url, failed.body.id, 60_000, AUTH)).body.status).toBe(2)
    // The seed's `{"status": -1}` exactly; the reason is in a header.
    const renew = await fetch(`${svc.url}/env/renew/${failed.body.id}`, {
      method: 'POST',
      headers: { ...AUTH, 'Content-Type': 'application/json' },
      body: '{}',
    })
    expect(renew.status).toBe(409)
    expect(await renew.json()).toEqual({ status: -1 })
    expect(renew.headers.get('x-levrt-error')).toMatch(/is ERROR, not CREATED/)
    expect(
      (await call(svc.url, 'POST', '/env/create', { uid: 5, challenge: 1, compose_file: 'web.yaml' }, AUTH))
        .status,
    ).toBe(200)
    const over = await call(
      svc.url,
      'POST',
      '/env/create',
      { uid: 5, challenge: 2, compose_file: 'web.yaml' },
      AUTH,
    )
    expect(over).toEqual({ status: 429, body: { status: -1, error: expect.stringMatching(/--max-per-uid/) } })
  })

  it('a create refused because the service is closing is 503', async () => {
    await svc.envd.environments.close()
    const reply = await svc.envd.app.inject({
      method: 'POST',
      url: '/env/create',
      headers: AUTH,
      payload: { uid: 6, challenge: 1, compose_file: 'web.yaml' },
    })
    expect({ status: reply.statusCode, body: reply.json() }).toEqual({
      status: 503,
      body: { status: -1, error: 'the service is shutting down' },
    })
  })
})
