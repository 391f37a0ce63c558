/**
 * `npm run bench`: every benchmark, each against a baseline run beside it in this process.
 * BENCH_ROUNDS sets the rounds (default 9). Results go to the embedded store in a temp folder.
 */
process.env.TESTCONTAINERS_RYUK_DISABLED = 'true'

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Dockerode from 'dockerode'
import { printMachine } from './lib/measure'
import { startupBench } from './startup'

async function main(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS) || 9
  const home = mkdtempSync(join(tmpdir(), 'levrt-bench-'))
  process.env.LEV_HOME = home
  delete process.env.LEV_MONGO_URL
  const docker = new Dockerode()
  try {
    await printMachine(docker)
    const p1 = await startupBench(docker, rounds)
    console.log(`\nP1 ratio: ${p1.ratio.toFixed(2)}× (target ≤ 1.15×) ${p1.ratio <= 1.15 ? 'met' : 'NOT met'}`)
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
