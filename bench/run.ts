/**
 * `npm run bench`: every benchmark, each against a baseline run beside it in this process.
 * BENCH_ROUNDS sets the rounds (default 9); the heavy ones (P3, P4) run min(BENCH_ROUNDS, 5)
 * timed rounds and min(BENCH_ROUNDS, 3) memory samples, each in a fresh process; P2 (200 runs per
 * batch) runs min(BENCH_ROUNDS, 3) rounds. Results go to
 * the embedded store in a temp folder unless a benchmark points the SDK elsewhere for its run.
 * One benchmark failing does not stop the others; the exit code says whether any failed.
 */
process.env.TESTCONTAINERS_RYUK_DISABLED = 'true'

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Dockerode from 'dockerode'
import { bigResultBench } from './bigresult'
import { concurrentBench, P2_POOL_TARGET, P2_TARGET } from './concurrent'
import { anyImageBench, P8_TARGET } from './any-image'
import { filesBench } from './files'
import { firstLine, printMachine } from './lib/measure'
import { removeLeftovers } from './lib/owned'
import { servicesBench } from './services'
import { startupBench } from './startup'

async function main(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS) || 9
  const heavyRounds = Math.min(rounds, 5)
  const memoryRounds = Math.min(rounds, 3)
  const batchRounds = Math.min(rounds, 3)
  const home = mkdtempSync(join(tmpdir(), 'levrt-bench-'))
  process.env.LEV_HOME = home
  delete process.env.LEV_MONGO_URL
  delete process.env.LEV_MONGO_DB
  const docker = new Dockerode()
  const summary: string[] = []
  const failures: string[] = []
  // BENCH_ONLY=P1,P4 runs just those.
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim().toUpperCase())
  const bench = async (id: string, fn: () => Promise<string>) => {
    if (only && !only.includes(id)) return
    try {
      summary.push(`${id}: ${await fn()}`)
    } catch (err) {
      console.log(`\n${id} FAILED: ${firstLine(err)}`)
      if (err instanceof Error && err.stack) console.log(err.stack.split('\n').slice(1, 6).join('\n'))
      summary.push(`${id}: FAILED (${firstLine(err)})`)
      failures.push(id)
    }
  }
  const x = (r: number) => (Number.isNaN(r) ? 'not measured' : `${r.toFixed(2)}×`)
  try {
    await printMachine(docker)
    console.log(
      `rounds: ${rounds} (P1, P5); ${batchRounds} (P2); ${heavyRounds} timed + ${memoryRounds} memory samples (P3, P4)`,
    )
    await removeLeftovers(docker)
    await bench('P1', async () => {
      const p1 = await startupBench(docker, rounds)
      console.log(
        `\nP1 ratio: ${p1.ratio.toFixed(2)}× (target ≤ 1.10×) ${p1.ratio <= 1.1 ? 'met' : 'NOT met'}`,
      )
      return `${x(p1.ratio)} of the dockerode floor (target ≤ 1.10×)`
    })
    await bench('P2', async () => {
      const p2 = await concurrentBench(docker, batchRounds)
      const each = (ratios: Record<string, number>) =>
        Object.entries(ratios)
          .map(([limit, r]) => `${limit}: ${x(r)}`)
          .join(', ')
      return (
        `${each(p2.ratios)} the CLI's throughput (target ≥ ${P2_TARGET}×); ` +
        `${each(p2.poolRatios)} the bare dockerode pool's (target ≥ ${P2_POOL_TARGET}×)`
      )
    })
    await bench('P3', async () => {
      const p3 = await bigResultBench(docker, heavyRounds, memoryRounds)
      const memory =
        p3.memoryOk === undefined
          ? 'not measured'
          : p3.memoryOk
            ? 'flat beyond one copy'
            : 'grows beyond one copy'
      return `${x(p3.ratio)} of a driver insert (target ≤ 1.3×); host memory ${memory}`
    })
    await bench('P4', async () => {
      const p4 = await filesBench(docker, heavyRounds, memoryRounds)
      return `${x(p4.speedRatio)} docker cp's speed, copy alone (target ≥ 0.9×); peak RSS +${(p4.rssIncrease / 2 ** 20).toFixed(1)} MiB for 256 MiB`
    })
    await bench('P5', async () => {
      const p5 = await servicesBench(docker, rounds)
      if (p5.failure) failures.push('P5')
      return `${x(p5.ratio)} of testcontainers (target ≤ 0.8×)${p5.failure ? `; FAILED: ${p5.failure}` : ''}`
    })
    await bench('P7', async () => {
      const { storeBench, P7_FINDONE_MS } = await import('./store')
      const p7 = await storeBench(docker, rounds)
      if (p7.failed) failures.push('P7')
      return `findOne at 1M ${p7.findOne1M.toFixed(2)} ms (target < ${P7_FINDONE_MS} ms); filtered find ${x(p7.filteredRatio)} FerretDB's (target ≤ 1×)${p7.failed ? '; FAILED at some size' : ''}`
    })
    await bench(
      'P8',
      async () =>
        `${x((await anyImageBench(docker, rounds)).ratio)} of the node image's whole run (target ≤ ${P8_TARGET}×)`,
    )
    console.log(`\nsummary\n${summary.map((s) => `- ${s}`).join('\n')}`)
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
  if (failures.length) process.exitCode = 1
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
