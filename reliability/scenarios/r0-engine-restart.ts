import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Concurrent } from '../../src/concurrent'
import { createContext, withContext } from '../../src/context'
import { Cr } from '../../src/cr'
import { Document } from '../../src/document'
import { Ends } from '../lib/ends'
import { PendingRequests } from '../lib/pending-requests'
import { LabEngine, sleep } from '../lib/lab-engine'
import { Random } from '../lib/random'
import type { Outcome, Scenario } from '../scenario'

const LIMIT = 10
const RUNS = 30
/** What a living process could not remove must be gone this long after the engine's return. */
const CLEAN_MS = 30_000

/**
 * R0: 30 runs of ~2 s at limit 10 on an engine of our own, stopped (dockerd SIGTERM) and
 * started again under them, once at 3 s (short: the measurement) or in 3 rounds at
 * moments from the seed (full). The runs that were running may fail, typed; the others must
 * wait for the engine and end as documents; nothing may be left 30 s after the engine's return,
 * without `levrt gc`.
 */
export const r0: Scenario = {
  id: 'R0',
  title: 'the engine restarts under a workflow',
  async run({ seed, scale, log }): Promise<Outcome> {
    const random = new Random(seed)
    const rounds = scale === 'full' ? 3 : 1
    const lab = await LabEngine.up(['levrt/busybox:latest'])
    const home = mkdtempSync(join(tmpdir(), 'levrt-r0-'))
    const ends = new Ends()
    // A hung run waits on something: the engine requests still open say what.
    const requests = new PendingRequests()
    requests.watch()
    const problems: string[] = []
    const cleanSeconds: number[] = []
    let leaks = 0
    let losses = 0
    try {
      const ctx = createContext({ docker: { socketPath: lab.socket }, home, log: 'quiet' })
      for (let round = 0; round < rounds; round++) {
        const stopAt = round === 0 && scale === 'short' ? 3000 : random.int(1000, 6000)
        const downFor = round === 0 && scale === 'short' ? 3000 : random.int(1000, 6000)
        let backAt = 0
        const fault = (async () => {
          await sleep(stopAt)
          log(`round ${round + 1}: engine stopped at ${stopAt} ms`)
          await lab.stop()
          await sleep(downFor)
          await lab.start((why) =>
            log(`round ${round + 1}: the lab engine did not start; started again: ${why}`),
          )
          backAt = Date.now()
          log(`round ${round + 1}: engine back after ${downFor} ms down`)
        })()
        const failedBefore = ends.failed
        // Not Concurrent.run: its close would wait for a hung run forever; a hang is counted instead.
        const c = new Concurrent({ limit: LIMIT })
        const docs = await withContext(ctx, () =>
          Promise.all(
            Array.from({ length: RUNS }, (_, i) => {
              const cr = new Cr('levrt/busybox', 'r0/run@1.0', {
                cmd: ['sh', '-c', `sleep 2; echo '{"round":${round},"i":${i}}' >> "$LEV_RECORDS"`],
                timeout: 90_000,
                reuse: false,
              })
              // The hang bound counts from the run's start (its wait for the engine included), not its queueing.
              return c.start(() => ends.settle(cr, 150_000))
            }),
          ),
        )
        await c.wait().catch(() => undefined)
        await fault
        const failed = ends.failed - failedBefore
        if (failed > LIMIT)
          problems.push(`round ${round + 1}: ${failed} runs failed, more than the ${LIMIT} running`)
        for (const doc of docs)
          if (doc instanceof Document && !(await doc.get())) {
            losses++
            log(
              `round ${round + 1}: document ${doc.filters._id} (exit ${doc.exitCode}) reads back as nothing`,
            )
          }
        const clean = await lab.cleanWithin(Math.max(0, backAt + CLEAN_MS - Date.now()))
        if (!clean) {
          for (const r of requests.olderThan(20_000)) log(`round ${round + 1}: still waiting on ${r}`)
          const left = await lab.leftovers()
          leaks += left.objects.length
          problems.push(`round ${round + 1}: left 30 s after the engine's return: ${left.objects.join(', ')}`)
        } else cleanSeconds.push((Date.now() - backAt) / 1000)
      }
    } finally {
      requests.stop()
      rmSync(home, { recursive: true, force: true })
      await lab.down()
    }
    for (const [code, message] of ends.samples) log(`${code}, e.g.: ${message}`)
    losses += ends.untyped.length + ends.hung
    if (ends.untyped.length) problems.push(`untyped: ${ends.untyped.slice(0, 3).join('; ')}`)
    return {
      load: `${rounds} × ${RUNS} runs at limit ${LIMIT}`,
      faults: `${rounds} engine restart${rounds > 1 ? 's' : ''}`,
      leaks,
      losses,
      problems,
      notes:
        `${ends.documents} documents, failed: ${ends.codes()}; ` +
        `clean ${cleanSeconds.map((s) => s.toFixed(1)).join('/')} s after the engine's return`,
    }
  },
}
