import { describe, expect, it } from 'vitest'
import { Concurrent, Cr } from '../src/index'
import { docker } from './support/engine'
import { embeddedStoreLeavingNothing } from './support/env'

const RUNS = 40

/** A sidecar web server, reached by its key as host name. */
const web = () =>
  new Cr('levrt/busybox', {
    cmd: ['httpd', '-f', '-p', '80', '-h', '/www'],
    files: { '/www/index.html': 'ok\n' },
    ports: [80],
  })

describe('Concurrent with a network per run', () => {
  embeddedStoreLeavingNothing()

  // Docker's default address pools give out about 30 user networks; each run with a service makes one.
  it(`runs ${RUNS} runs with a sidecar each at limit ${RUNS}, more networks at once than Docker's default pools hold`, async () => {
    const filters = JSON.stringify({ label: ['io.levrt.managed', `io.levrt.owner.pid=${process.pid}`] })
    let most = 0
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        most = Math.max(most, (await docker.listNetworks({ filters })).length)
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
    })()
    try {
      const docs = await Concurrent.run({ limit: RUNS }, (c) =>
        Promise.all(
          Array.from({ length: RUNS }, () =>
            // The sleep keeps every run's network alive together.
            c.start(
              new Cr('levrt/busybox', {
                cmd: ['sh', '-c', 'wget -q -O- http://web/ && sleep 15'],
                services: { web: web() },
              }),
            ),
          ),
        ),
      )
      expect(docs.map((d) => d.exitCode)).toEqual(Array(RUNS).fill(0))
    } finally {
      sampling = false
      await sampler
    }
    expect(most).toBeGreaterThan(30)
  }, 300_000)
})
