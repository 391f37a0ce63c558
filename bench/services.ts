import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type Dockerode from 'dockerode'
import {
  GenericContainer,
  Network,
  Wait,
  type StartedNetwork,
  type StartedTestContainer,
} from 'testcontainers'
import { Cr, type AwaitedTask } from '../src/index'
import { contender, firstLine, interleaved, printTable, rowMedian, verdict } from './lib/measure'
import { assertImages, benchLabels } from './lib/owned'

const IMAGE = 'levrt/busybox'
const HTTPD = ['httpd', '-f', '-p', '8080']
const MAIN = ['sleep', '30']

/** Resolves once `host:port` accepts a TCP connection (polling every 25 ms), or throws after `ms`. */
async function waitTcp(host: string, port: number, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port })
      s.once('connect', () => (s.destroy(), resolve(true)))
      s.once('error', () => (s.destroy(), resolve(false)))
    })
    if (open) return
    if (Date.now() > deadline) throw new Error(`${host}:${port} did not open in ${ms} ms`)
    await sleep(25)
  }
}

interface Started {
  readonly containers: StartedTestContainer[]
  readonly network: StartedNetwork
}

/** Stops what a testcontainers round started, containers first. */
async function stopAll({ containers, network }: Started): Promise<void> {
  await Promise.allSettled(containers.map((c) => c.stop({ remove: true, removeVolumes: true, timeout: 0 })))
  await network.stop()
}

export interface ServicesOutcome {
  readonly ratio: number
  readonly failure?: string
}

/**
 * P5: start-to-ready of a Cr with one service that has one waited port (an httpd), against
 * testcontainers doing the same: a network, the service container waited for with
 * `forListeningPorts`, then the main container. Only the start is timed; stopping and removing
 * happen outside the timing. For reference, the dockerode floor: network, service, one TCP
 * connect to its address, main, with nothing else.
 */
export async function servicesBench(docker: Dockerode, rounds: number): Promise<ServicesOutcome> {
  await assertImages(docker, [IMAGE], 'run: npm run images')
  const contenders = [
    contender({
      name: 'testcontainers: Network + web (exposed port, forListeningPorts) + main (baseline)',
      async run(): Promise<Started> {
        const network = await new Network().start()
        const started: Started = { containers: [], network }
        try {
          started.containers.push(
            await new GenericContainer(IMAGE)
              .withCommand(HTTPD)
              .withNetwork(network)
              .withNetworkAliases('web')
              .withExposedPorts(8080)
              .withWaitStrategy(Wait.forListeningPorts())
              .withLabels(benchLabels())
              .start(),
          )
          started.containers.push(
            await new GenericContainer(IMAGE)
              .withCommand(MAIN)
              .withNetwork(network)
              .withLabels(benchLabels())
              .start(),
          )
          return started
        } catch (err) {
          await stopAll(started)
          throw err
        }
      },
      after: async (_: unknown, started: Started | undefined) => {
        if (started) await stopAll(started)
      },
    }),
    contender({
      name: 'levrt new Cr(main, { services: { web: new Cr(httpd, { ports: [8080] }) } }).start()',
      async run() {
        const cr = new Cr(IMAGE, {
          cmd: MAIN,
          services: { web: new Cr(IMAGE, { cmd: HTTPD, ports: [8080] }) },
        })
        // Wrapped: a Task handed through a promise resolution would be awaited (see the README).
        return { task: await cr.start() }
      },
      async after(_: unknown, started: { task: AwaitedTask } | undefined) {
        if (!started) return
        await started.task.signal('SIGKILL') // sleep as pid 1 ignores SIGINT and SIGTERM
        await started.task.done()
      },
    }),
    contender({
      name: 'dockerode floor: network + web + TCP connect to its address + main',
      async run() {
        const name = `levrt-bench-${randomBytes(6).toString('hex')}`
        const network = await docker.createNetwork({ Name: name, Driver: 'bridge', Labels: benchLabels() })
        const containers: Dockerode.Container[] = []
        const on = (aliases: string[]) => ({
          HostConfig: { NetworkMode: name },
          NetworkingConfig: { EndpointsConfig: { [name]: { Aliases: aliases } } },
        })
        try {
          const web = await docker.createContainer({
            Image: IMAGE,
            Cmd: HTTPD,
            Labels: benchLabels(),
            ...on(['web']),
          })
          containers.push(web)
          await web.start()
          const info = await web.inspect()
          await waitTcp(info.NetworkSettings.Networks[name].IPAddress, 8080)
          const main = await docker.createContainer({
            Image: IMAGE,
            Cmd: MAIN,
            Labels: benchLabels(),
            ...on([]),
          })
          containers.push(main)
          await main.start()
          return { network, containers }
        } catch (err) {
          await Promise.allSettled(containers.map((c) => c.remove({ force: true })))
          await network.remove()
          throw err
        }
      },
      async after(
        _: unknown,
        started: { network: Dockerode.Network; containers: Dockerode.Container[] } | undefined,
      ) {
        if (!started) return
        await Promise.allSettled(started.containers.map((c) => c.remove({ force: true })))
        await started.network.remove()
      },
    }),
  ]
  const rows = await interleaved(contenders, rounds)
  printTable(
    `P5 — start-to-ready: one service with one waited port, then the main container; ${rounds} rounds interleaved, ` +
      `teardown untimed (target: levrt ≤ 0.8× testcontainers)`,
    rows,
    contenders[0].name,
  )
  const ratio = rowMedian(rows, contenders[1].name) / rowMedian(rows, contenders[0].name)
  console.log(
    `\nP5 ratio (levrt / testcontainers): ${ratio.toFixed(2)}× (target ≤ 0.8×) ${verdict(ratio, (r) => r <= 0.8)}`,
  )
  const floor = rowMedian(rows, contenders[2].name) / rowMedian(rows, contenders[0].name)
  console.log(`P5 dockerode floor / testcontainers: ${floor.toFixed(2)}× (no design can go much below this)`)
  const failed = rows.find((r) => r.error !== undefined)
  if (failed) {
    console.log(`P5 ${failed.name} FAILED: ${firstLine(failed.error)}`)
    if (failed.error instanceof Error && failed.error.stack)
      console.log(failed.error.stack.split('\n').slice(0, 8).join('\n'))
  }
  return { ratio, failure: failed ? `${failed.name}: ${firstLine(failed.error)}` : undefined }
}
