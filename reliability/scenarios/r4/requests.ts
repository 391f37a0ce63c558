import { cpSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { PassThrough } from 'node:stream'
import type Dockerode from 'dockerode'
import { startEnvd, type Envd } from '../../../src/envd'
import { META_COLLECTION } from '../../../src/envd/state/repository'
import { EmbeddedStore } from '../../../src/store/embedded'
import { request, settledList } from '../../lib/envd-client'
import { instanceObjects, removeInstance, scratch } from '../../lib/envd-scratch'
import { check, expectThat, type PropertyResult } from '../../lib/property'
import type { Random } from '../../lib/random'
import { send, sendRaw, type RawKind } from './http-send'
import { isRead, requestArbitrary, touches } from './request-arbitraries'

const REFUSED = resolve(__dirname, '../../../test/fixtures/envd/compose/refused')

/**
 * Random requests through real HTTP against a running envd holding one live environment: each
 * answer is a 4xx JSON error (or a read's 200), never a 5xx or a broken connection; slow and
 * cut requests leave it answering. Afterwards its state is what it was: the same list, the same
 * id counter, the same objects on the engine. Creates cannot succeed: the compose folder holds
 * only refused files once the live environment is made.
 */
export async function requestProperty(
  docker: Dockerode,
  seed: number,
  runs: number,
  raw: number,
  random: Random,
): Promise<PropertyResult & { leaks: number }> {
  const dirs = scratch()
  const instance = `r4h${process.pid}`
  const store = new EmbeddedStore(dirs.home)
  let envd: Envd | undefined
  const failures: string[] = []
  try {
    envd = await startEnvd(
      {
        listen: '127.0.0.1:0',
        data: dirs.data,
        instance,
        nodeIp: '127.0.0.1',
        ports: '45000-45099',
        maxTotal: 50,
        nodeIsolation: false,
        logLevel: 'warn',
        logStream: new PassThrough().resume(),
      },
      store,
    )
    const base = envd.url
    const made = await request(base, 'POST', '/env/create', {
      uid: 1,
      challenge: 1,
      compose_file: 'light.yaml',
    })
    const existing = made.body?.id as number
    await settledList(base, 60_000)
    rmSync(join(dirs.data, 'compose', 'light.yaml'))
    cpSync(REFUSED, join(dirs.data, 'compose', 'refused'), { recursive: true })
    const before = await snapshot(envd, store, docker, instance)

    const result = await check(
      'envd requests',
      requestArbitrary.filter((r) => !touches(r, existing)),
      async (r) => {
        const reply = await send(base, r)
        if (!reply) return
        expectThat(reply.status < 500, () => `answered ${reply.status}: ${reply.text.slice(0, 200)}`)
        if (reply.status < 300) {
          expectThat(isRead(r), () => `a ${r.method} that is not a read answered ${reply.status}`)
          return
        }
        expectThat(reply.status >= 400, () => `answered ${reply.status}`)
        if (r.method === 'HEAD') return
        let body: { status?: unknown; error?: unknown } | undefined
        try {
          body = JSON.parse(reply.text) as typeof body
        } catch {
          body = undefined
        }
        expectThat(
          // 409, a renew of what is not healthy, is the seed's bare {"status": -1}.
          body?.status === -1 && (typeof body.error === 'string' || reply.status === 409),
          () => `a ${reply.status} without the JSON error: ${reply.text.slice(0, 200)}`,
        )
      },
      seed,
      runs,
    )
    failures.push(...result.failures)
    failures.push(...(await rawRequests(base, raw, random)))
    const after = await snapshot(envd, store, docker, instance)
    if (after !== before)
      failures.push(`envd requests: the state changed:\n  before ${before}\n  after  ${after}`)
    const deleted = await request(base, 'GET', `/env/delete/${existing}`)
    if (deleted.body?.status !== 3)
      failures.push(`envd requests: the live environment was not deleted: ${deleted.status}`)
    await envd.close()
    const left = await instanceObjects(docker, instance)
    return {
      name: 'envd requests',
      cases: result.cases + raw,
      failures,
      leaks: left.containers.length + left.networks + left.volumes,
    }
  } finally {
    await envd?.close()
    store.close()
    await removeInstance(docker, instance)
    dirs.remove()
  }
}

/** Slow, cut-body and cut-head creates: none may get a 5xx, and the service answers after each. */
async function rawRequests(base: string, count: number, random: Random): Promise<string[]> {
  const failures: string[] = []
  const kinds: RawKind[] = ['slow body', 'truncated body', 'truncated head']
  for (let i = 0; i < count; i++) {
    const kind = random.pick(kinds)
    const body = JSON.stringify({
      uid: random.int(0, 9),
      challenge: 1,
      compose_file: 'refused/privileged.yaml',
      flag: 'x'.repeat(random.int(0, 5000)),
    })
    const status = await sendRaw(base, kind, body, random.int(200, 1500))
    if (status >= 500) failures.push(`envd requests: a ${kind} answered ${status}`)
    if (kind === 'slow body' && (status < 400 || status >= 500))
      failures.push(`envd requests: a slow body answered ${status}`)
    const health = await request(base, 'GET', '/health')
    if (health.status !== 200)
      failures.push(`envd requests: after a ${kind}, /health answered ${health.status}`)
  }
  return failures
}

/** What must not change: the environments (as list shows them), the id counter, the engine's objects. */
async function snapshot(
  envd: Envd,
  store: EmbeddedStore,
  docker: Dockerode,
  instance: string,
): Promise<string> {
  const counter = await store.collection(`${instance}|${META_COLLECTION}`).findOne({ _id: 'counter' })
  const objects = await instanceObjects(docker, instance)
  return JSON.stringify({
    list: envd.environments.list(),
    counts: envd.environments.counts(),
    counter,
    containers: objects.containers.map((c) => c.Id).sort(),
    networks: objects.networks,
    volumes: objects.volumes,
  })
}
