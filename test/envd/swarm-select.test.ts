import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EnvdOptionsError } from '../../src/envd'
import { useStore } from '../support/env'
import {
  call,
  dataDir,
  engineObjects,
  removeDir,
  settled,
  startService,
  tagTestBusybox,
  untagTestBusybox,
} from './support'

/** The backend choice and the metrics on this machine's own engine, which is no swarm manager. */
describe('envd backend choice and metrics on one engine', () => {
  let store: ReturnType<typeof useStore>
  beforeAll(async () => {
    store = useStore('embedded')
    await tagTestBusybox()
  })
  afterAll(async () => {
    await untagTestBusybox()
    store.restore()
  })

  it('--backend swarm on an engine that is not a swarm manager is refused before anything starts', async () => {
    const data = dataDir()
    try {
      const err = await startService({ data, backend: 'swarm' }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(EnvdOptionsError)
      expect((err as EnvdOptionsError).option).toBe('--backend')
      expect((err as Error).message).toMatch(/manager of an active swarm/)
      // The data folder is free again: a service can start on it.
      const svc = await startService({ data, backend: 'docker' })
      await svc.close()
    } finally {
      removeDir(data)
    }
  })

  it('without --backend one engine is used, and GET /metrics counts its environments', async () => {
    const svc = await startService()
    try {
      const { body } = await call(svc.url, 'POST', '/env/create', {
        uid: 1,
        challenge: 1,
        compose_file: 'busy.yaml',
      })
      expect((await settled(svc.url, body.id)).body).toMatchObject({ status: 1, node_ip: '127.0.0.1' })
      const metrics = await (await fetch(`${svc.url}/metrics`)).text()
      expect(metrics).toMatch(/^levrt_envd_environments\{status="created",node="127\.0\.0\.1"\} 1$/m)
      expect(metrics).toMatch(/^levrt_envd_create_seconds_count\{backend="docker"\} 1$/m)
      expect((await call(svc.url, 'GET', `/env/delete/${body.id}`)).body.status).toBe(3)
      expect(await (await fetch(`${svc.url}/metrics`)).text()).toMatch(/^levrt_envd_removals_total 1$/m)
    } finally {
      await svc.close()
      expect(await engineObjects(svc.instance)).toEqual({ containers: 0, networks: 0, volumes: 0 })
      removeDir(svc.data)
    }
  })

  it('an unknown --backend is an option error', async () => {
    const err = await startService({ backend: 'k8s' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(EnvdOptionsError)
    expect((err as Error).message).toBe('--backend: "k8s" is not docker or swarm')
  })
})
