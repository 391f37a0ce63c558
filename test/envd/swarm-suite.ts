import { afterAll, beforeAll, expect } from 'vitest'
import { useStore } from '../support/env'
import { call, eventually, removeDir, startService, type Service } from './support'
import {
  labDown,
  labLeftovers,
  labRules,
  labUp,
  swarmObjects,
  tagBusybox,
  type LabNode,
} from './swarm-support'

/** What a swarm test file shares: the lab's nodes (manager first) and envd on it (a test may restart it). */
export interface SwarmContext {
  nodes: LabNode[]
  svc: Service
}

const NONE = { services: 0, secrets: 0, networks: 0, containers: 0 }

/**
 * Registers the set-up and tear-down of a swarm test file: the 3-node lab built by the script,
 * envd with the swarm backend on its manager; afterwards every environment deleted, nothing of
 * ours on any node, the lab down and nothing of it left on this machine.
 */
export function swarmSuite(): SwarmContext {
  const ctx = {} as SwarmContext
  let store: ReturnType<typeof useStore> | undefined
  const dockerHost = process.env.DOCKER_HOST

  beforeAll(async () => {
    ctx.nodes = labUp(3)
    await tagBusybox(ctx.nodes)
    store = useStore('embedded')
    process.env.DOCKER_HOST = ctx.nodes[0].engine
    // The tests reap on their own: a periodic reap would race them for the same expired environment.
    ctx.svc = await startService({ backend: 'swarm', reapEvery: 3600, maxPerUid: 40 })
  }, 180_000)

  afterAll(async () => {
    const { nodes, svc } = ctx
    try {
      if (svc) {
        for (const e of (await call(svc.url, 'GET', '/env/list')).body) {
          await call(svc.url, 'GET', `/env/delete/${e.id}`)
        }
        await svc.close()
        // Nothing of ours on any node: services, secrets, overlays, containers (nodes remove
        // a task's container a moment after its service is gone).
        const none = async () =>
          JSON.stringify(await swarmObjects(nodes, svc.instance)) === JSON.stringify(NONE)
        await eventually(none, 30_000)
        expect(await swarmObjects(nodes, svc.instance)).toEqual(NONE)
        // The node guard's tasks removed their rules as they stopped.
        await eventually(async () => labRules(nodes).length === 0, 20_000)
        expect(labRules(nodes)).toEqual([])
        removeDir(svc.data)
      }
    } finally {
      process.env.DOCKER_HOST = dockerHost
      store?.restore()
      labDown()
    }
    expect(labLeftovers()).toEqual([])
  }, 180_000)

  return ctx
}
