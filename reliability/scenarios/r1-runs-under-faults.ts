import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Concurrent } from '../../src/concurrent'
import { createContext, withContext } from '../../src/context'
import { Cr } from '../../src/cr'
import { Document } from '../../src/document'
import { StoreUnavailableError } from '../../src/errors'
import { flushSpool } from '../../src/results/spool'
import { MongoStore } from '../../src/store/mongo'
import { Ends } from '../lib/ends'
import { FAULT_KINDS, Faults } from '../lib/faults'
import { Ferret } from '../lib/ferret'
import { LabEngine, sleep } from '../lib/lab-engine'
import { Random } from '../lib/random'
import type { Outcome, Scenario } from '../scenario'

const LIMIT = 8
/** A lab of its own: R1 can run beside R0 and R2, whose lab is another. */
const R1_LAB = { name: 'levr1', subnet: '10.79.11.0/24' }
const TIMEOUT_MS = 60_000
const COLLECTION = 'r1/step@1.0'

/**
 * R1: runs of four shapes (records over time, files, a sidecar service, a port of its own)
 * through Concurrent on a lab engine, storing into a FerretDB of its own, while faults are
 * injected at moments from the seed: containers killed and removed from outside, networks
 * removed, the engine restarted, the store restarted. Every run must end as a Document or a
 * typed error within its timeout; every acknowledged result (a Document of exit 0, or a result
 * spooled with StoreUnavailableError) must be in the store once it is back; nothing may be
 * left on the engine.
 */
export const r1: Scenario = {
  id: 'R1',
  title: 'runs under faults',
  async run({ seed, scale, log }): Promise<Outcome> {
    const random = new Random(seed)
    const runs = scale === 'full' ? 500 : 30
    const lab = await LabEngine.up(['levrt/busybox:latest'], R1_LAB)
    const ferret = await Ferret.start()
    const home = mkdtempSync(join(tmpdir(), 'levrt-r1-'))
    const probe = process.env.LEV_PORT_PROBE
    // The lab's containers are in its own network namespace: ports are probed from inside.
    process.env.LEV_PORT_PROBE = 'container'
    const store = new MongoStore(ferret.url, 'r1')
    const ends = new Ends()
    const faults = new Faults(lab, ferret, random, log)
    const problems: string[] = []
    let leaks = 0
    let losses = 0
    try {
      const ctx = createContext({
        docker: { socketPath: lab.socket },
        mongoUrl: ferret.url,
        mongoDb: 'r1',
        home,
        log: 'quiet',
      })
      const c = new Concurrent({ limit: LIMIT })
      let finished = false
      /** Acknowledged results: token, and how it was acknowledged (for a loss's report). */
      const expected = new Map<string, string>()
      const all = withContext(ctx, () =>
        Promise.all(
          Array.from({ length: runs }, async (_, i) => {
            const token = `t${i}`
            const cr = step(random.int(0, 3), token)
            // The hang bound counts from the run's start, not from its wait in the queue.
            const end = await c.start(() => ends.settle(cr, TIMEOUT_MS + 60_000))
            if (end instanceof Document && end.exitCode === 0)
              expected.set(token, `document ${end.filters._id}`)
            if (end instanceof StoreUnavailableError) expected.set(token, `spooled at ${end.path}`)
          }),
        ),
      ).finally(() => (finished = true))
      // Short: each fault once, in an order from the seed (the engine's restart last: it takes the
      // longest); full: a fault every 2-8 s while runs go on.
      const order = [
        ...FAULT_KINDS.filter((k) => k !== 'engine').sort(() => random.next() - 0.5),
        'engine' as const,
      ]
      for (let k = 0; !finished; k++) {
        await Promise.race([sleep(scale === 'full' ? random.int(2000, 8000) : random.int(1000, 3000)), all])
        if (finished || (scale === 'short' && k >= order.length)) break
        await faults.inject(scale === 'short' ? order[k] : random.pick(FAULT_KINDS))
      }
      await all
      await c.wait().catch(() => undefined)
      // The spool is written by the next run's start; the last ones are flushed here, as a next run would.
      await flushSpool(home, store).catch((err: unknown) => problems.push(`spool: ${String(err)}`))
      const coll = store.collection(COLLECTION)
      for (const [token, how] of expected)
        if ((await coll.countDocuments({ token })) === 0) {
          losses++
          const id = /^document (\w+)/.exec(how)?.[1]
          const stored = id ? await coll.findOne({ _id: id }).catch((err: unknown) => String(err)) : undefined
          log(`lost: ${token}, acknowledged as ${how}; stored under its id: ${JSON.stringify(stored)}`)
        }
      if (losses) problems.push(`${losses} acknowledged results not in the store`)
      if (!(await lab.cleanWithin(30_000))) {
        const left = await lab.leftovers()
        leaks = left.objects.length
        problems.push(`left on the engine: ${left.objects.slice(0, 5).join(', ')}`)
      }
    } finally {
      if (probe === undefined) delete process.env.LEV_PORT_PROBE
      else process.env.LEV_PORT_PROBE = probe
      await store.close().catch(() => undefined)
      rmSync(home, { recursive: true, force: true })
      await ferret.remove()
      await lab.down()
    }
    losses += ends.untyped.length + ends.hung
    if (ends.untyped.length) problems.push(`untyped: ${ends.untyped.slice(0, 3).join('; ')}`)
    for (const stack of ends.untypedStacks.slice(0, 3)) log(`untyped: ${stack}`)
    if (ends.hung) problems.push(`${ends.hung} runs hung past their timeout`)
    return {
      load: `${runs} runs at limit ${LIMIT} (records, files, services, ports)`,
      faults: faults.summary(),
      leaks,
      losses,
      problems,
      notes:
        `${ends.documents} documents, failed: ${ends.codes()}` +
        (faults.retries ? `; the lab engine needed a second start ${faults.retries}×` : ''),
    }
  },
}

/** One run of shape `kind`, storing `{ token }` when it ends well. */
function step(kind: number, token: string): Cr {
  const options = { timeout: TIMEOUT_MS, reuse: false } as const
  const store = `echo "{\\"token\\":\\"$t\\"}" >> "$LEV_RECORDS"`
  if (kind === 0) {
    const cmd = `for k in 1 2 3; do echo "{\\"k$k\\":$k}" >> "$LEV_RECORDS"; sleep 0.4; done; t=${token}; ${store}`
    return new Cr('levrt/busybox', COLLECTION, { ...options, cmd: ['sh', '-c', cmd] })
  }
  if (kind === 1) {
    const cmd = `sleep 0.5; t=$(cat /in/token) || exit 3; ${store}`
    return new Cr('levrt/busybox', COLLECTION, {
      ...options,
      files: { '/in/token': token },
      cmd: ['sh', '-c', cmd],
    })
  }
  if (kind === 2) {
    const serve = `mkdir -p /www && echo ${token} > /www/index.html && exec httpd -f -p 80 -h /www`
    const web = new Cr('levrt/busybox', { cmd: ['sh', '-c', serve], ports: [80] })
    const cmd = `t=$(wget -qO- http://web/) || exit 3; ${store}`
    return new Cr('levrt/busybox', COLLECTION, { ...options, services: { web }, cmd: ['sh', '-c', cmd] })
  }
  const cmd = `httpd -p 8080 -h /; sleep 0.5; t=${token}; ${store}`
  return new Cr('levrt/busybox', COLLECTION, { ...options, ports: [8080], cmd: ['sh', '-c', cmd] })
}
