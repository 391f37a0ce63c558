import { createServer } from 'node:net'
import { hostname } from 'node:os'
import Dockerode from 'dockerode'
import { MongoClient } from 'mongodb'

/** The test suite's FerretDB image (scripts/setup.sh --test) and its owner labels (test/global-setup.ts). */
const IMAGE = 'levrt-test/ferretdb:1.24'
const OWNER = { 'io.levrt.test.owner.host': hostname(), 'io.levrt.test.owner.pid': String(process.pid) }

/**
 * A FerretDB (the MongoDB wire protocol) of the scenario's own, on a fixed host port so that it
 * answers at the same address after a stop and start.
 */
export class Ferret {
  private constructor(
    private readonly container: Dockerode.Container,
    readonly url: string,
  ) {}

  static async start(docker = new Dockerode(), label: Record<string, string> = OWNER): Promise<Ferret> {
    const port = await freePort()
    const container = await docker.createContainer({
      Image: IMAGE,
      Labels: label,
      ExposedPorts: { '27017/tcp': {} },
      HostConfig: { PortBindings: { '27017/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
    })
    const ferret = new Ferret(container, `mongodb://127.0.0.1:${port}/`)
    await ferret.up()
    return ferret
  }

  /** Started, and once it answers a ping. */
  async up(): Promise<void> {
    await this.container.start()
    const deadline = Date.now() + 30_000
    for (;;) {
      const client = new MongoClient(this.url, { serverSelectionTimeoutMS: 1000 })
      try {
        await client.db('admin').command({ ping: 1 })
        return
      } catch (err) {
        if (Date.now() > deadline) throw new Error('FerretDB did not answer within 30 s', { cause: err })
      } finally {
        await client.close()
      }
    }
  }

  /** Stopped as an operator would (its data, in the container, stays). */
  async down(): Promise<void> {
    await this.container.stop({ t: 2 })
  }

  /** Killed, as a crashed server (its data, in the container, stays). */
  async stop(): Promise<void> {
    await this.container.kill().catch(() => undefined)
  }

  async remove(): Promise<void> {
    await this.container.remove({ force: true, v: true }).catch(() => undefined)
  }
}

/** A port nothing listens on now (the engine binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => done(port))
    })
  })
}
