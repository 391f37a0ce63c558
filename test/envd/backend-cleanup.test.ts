import { randomBytes } from 'node:crypto'
import type Dockerode from 'dockerode'
import { afterAll, describe, expect, it } from 'vitest'
import { resolveOptions } from '../../src/envd'
import { DockerBackend } from '../../src/envd/backend/docker'
import { planComposeFile } from '../../src/envd/compose/check'
import { ComposePolicy } from '../../src/envd/compose/policy'
import { docker } from '../support/engine'
import {
  dataDir,
  engineObjects,
  FIXTURES,
  portRange,
  removeDir,
  tagTestBusybox,
  untagTestBusybox,
} from './support'

/**
 * Issue 13, item 8: the cleanup after a failed deploy used to drop its own failure without a
 * word. The deploy fails for real (an image the engine does not have); the cleanup's first call
 * to the engine is made to fail, the way an engine under load answers; the operator must be told.
 */

/** The real engine, but `listContainers` fails while `armed`. */
function flakyEngine(): { docker: Dockerode; arm(on: boolean): void } {
  let armed = false
  const proxy = new Proxy(docker, {
    get(target, key, receiver) {
      if (key === 'listContainers' && armed)
        return () => Promise.reject(new Error('engine busy: list timed out'))
      const value = Reflect.get(target, key, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { docker: proxy, arm: (on) => void (armed = on) }
}

describe('a failed deploy whose cleanup fails too', () => {
  const data = dataDir()
  const instance = `t${randomBytes(4).toString('hex')}`
  afterAll(() => removeDir(data))

  it('rejects with the deploy error and logs the cleanup failure where it happens', async () => {
    const logged: { level: string; obj: object; msg: string }[] = []
    const log = {
      info: (obj: object, msg: string) => logged.push({ level: 'info', obj, msg }),
      warn: (obj: object, msg: string) => logged.push({ level: 'warn', obj, msg }),
      error: (obj: object, msg: string) => logged.push({ level: 'error', obj, msg }),
    }
    const options = resolveOptions({
      data,
      instance,
      nodeIp: '127.0.0.1',
      ports: portRange(10),
      maxTotal: 10,
      nodeIsolation: false,
    })
    const engine = flakyEngine()
    const backend = new DockerBackend(engine.docker, { ...options, local: true }, log)
    await backend.start()
    const plan = await planComposeFile(
      new ComposePolicy(options.hardening.capAllow),
      FIXTURES,
      'missing-image.yaml',
    )
    const placed = async () => engine.arm(true) // from here on, the engine's listings fail

    const deploy = backend.deploy(
      { id: 1, uid: 77, challenge: 1, plan, flag: null },
      placed,
      new AbortController().signal,
    )
    await expect(deploy).rejects.toThrow(/levrt-test\/not-built:1.0 is not on the engine/)
    expect(logged).toEqual([
      {
        level: 'error',
        obj: { env: 1, err: expect.objectContaining({ message: 'engine busy: list timed out' }) },
        msg: expect.stringMatching(/failed deploy/),
      },
    ])

    engine.arm(false)
    expect(await engineObjects(instance)).toMatchObject({ networks: 1 }) // what the failed cleanup left
    await backend.destroy(1)
    await backend.sweep(() => false)
    expect(await engineObjects(instance)).toEqual({ containers: 0, networks: 0, volumes: 0 })
  })
})

/**
 * Issue 17 (R5): deleting many environments of one uid at once logged `error while removing
 * network ... has active endpoints` and left the network: the engine lets a removed container's
 * endpoint go a moment after the removal returns. Here the engine answers that 403 to the first
 * removals of the uid network, as it does under load; the last user out must wait it out.
 */
describe('a uid network whose endpoints linger after its containers are removed', () => {
  const data = dataDir()
  const instance = `t${randomBytes(4).toString('hex')}`
  afterAll(async () => {
    removeDir(data)
    await untagTestBusybox()
  })

  it('is removed once they are gone, with nothing logged as an error', async () => {
    await tagTestBusybox()
    const logged: { level: string; msg: string }[] = []
    const log = {
      info: (_obj: object, msg: string) => logged.push({ level: 'info', msg }),
      warn: (_obj: object, msg: string) => logged.push({ level: 'warn', msg }),
      error: (_obj: object, msg: string) => logged.push({ level: 'error', msg }),
    }
    let refusals = 0
    const lagging = new Proxy(docker, {
      get(target, key, receiver) {
        if (key === 'getNetwork')
          return (name: string) => {
            const network = target.getNetwork(name)
            const remove = network.remove.bind(network)
            network.remove = (() => {
              if (refusals++ >= 3) return remove()
              const err = Object.assign(
                new Error(
                  `(HTTP code 403) error while removing network: network ${name} has active endpoints`,
                ),
                { statusCode: 403 },
              )
              return Promise.reject(err)
            }) as typeof network.remove
            return network
          }
        const value = Reflect.get(target, key, receiver)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const options = resolveOptions({
      data,
      instance,
      nodeIp: '127.0.0.1',
      ports: portRange(10),
      maxTotal: 10,
      nodeIsolation: false,
    })
    const backend = new DockerBackend(lagging, { ...options, local: true }, log)
    await backend.start()
    const plan = await planComposeFile(new ComposePolicy(options.hardening.capAllow), FIXTURES, 'busy.yaml')
    const deploys = [1, 2, 3].map((id) =>
      backend.deploy(
        { id, uid: 78, challenge: id, plan, flag: null },
        async () => undefined,
        new AbortController().signal,
      ),
    )
    await Promise.all(deploys)
    await Promise.all([1, 2, 3].map((id) => backend.destroy(id)))
    expect(refusals).toBe(4)
    expect(logged.filter((l) => l.level === 'error')).toEqual([])
    expect(await engineObjects(instance)).toEqual({ containers: 0, networks: 0, volumes: 0 })
  })
})
