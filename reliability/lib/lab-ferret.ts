import { createServer } from 'node:net'
import { hostname } from 'node:os'
import Dockerode from 'dockerode'
import { sleep } from './lab-engine'

/** The test suite's FerretDB image (scripts/setup.sh --test) and its owner labels (test/global-setup.ts). */
const IMAGE = 'levrt-test/ferretdb:1.24'
const OWNER = { 'io.levrt.test.owner.host': hostname(), 'io.levrt.test.owner.pid': String(process.pid) }

/**
 * A MongoDB-compatible server of the scenario's own on the machine's engine, on a fixed host
 * port, so that it can be stopped and started under a workload and come back at the same URL.
 */
export class Ferret {
  private constructor(
    private readonly container: Dockerode.Container,
    readonly url: string,
  ) {}

  static async start(): Promise<Ferret> {
    const port = await freePort()
    const docker = new Dockerode()
    const container = await docker.createContainer({
      Image: IMAGE,
      Labels: OWNER,
      ExposedPorts: { '27017/tcp': {} },
      HostConfig: { PortBindings: { '27017/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
    })
    const ferret = new Ferret(container, `mongodb://127.0.0.1:${port}/`)
    await ferret.up()
    return ferret
  }

  /** Killed, as a crashed server (its data, in the container, stays). */
  async stop(): Promise<void> {
    await this.container.kill().catch(() => undefined)
  }

  async up(): Promise<void> {
    const since = Math.floor(Date.now() / 1000) - 1
    await this.container.start()
    for (let i = 0; i < 100; i++) {
      const logs = await this.container.logs({ stdout: true, stderr: true, since })
      if (/Listening on TCP/.test(logs.toString())) return
      await sleep(100)
    }
    throw new Error('FerretDB did not start')
  }

  async remove(): Promise<void> {
    await this.container.remove({ force: true, v: true }).catch(() => undefined)
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}
