/**
 * `npm run reliability [-- --short] [--only R0,R3] [--seed N]`: runs the scenarios against the
 * real engine and both stores, prints the machine and one table; exits 1 if any scenario failed.
 */
process.env.TESTCONTAINERS_RYUK_DISABLED = 'true'

import { Command } from 'commander'
import Dockerode from 'dockerode'
import { printMachine } from '../bench/lib/measure'
import { passed, type Outcome } from './scenario'
import { scenarios } from './scenarios'
import { table, type Row } from './lib/table'

async function main(): Promise<void> {
  const opts = new Command()
    .option('--short', 'the counts of the npm test version')
    .option('--only <ids>', 'comma-separated scenario ids, e.g. R0,R3')
    .option('--seed <n>', 'replay with this seed (default: a fixed seed per scenario)')
    .parse()
    .opts<{ short?: boolean; only?: string; seed?: string }>()
  const only = opts.only?.split(',').map((s) => s.trim().toUpperCase())
  await printMachine(new Dockerode())
  const rows: Row[] = []
  for (const [i, scenario] of scenarios.entries()) {
    if (only && !only.includes(scenario.id)) continue
    const seed = opts.seed === undefined ? 1000 + i : Number(opts.seed)
    console.error(`\n${scenario.id} ${scenario.title} (seed ${seed})`)
    const begun = Date.now()
    // A scenario that throws (its lab could not be set up or taken down) is a failed row: the
    // others still run, and the table still prints.
    const outcome = await scenario
      .run({
        seed,
        scale: opts.short ? 'short' : 'full',
        log: (line) => console.error(`  ${scenario.id}: ${line}`),
      })
      .catch((err: unknown) => {
        console.error(err)
        return crashed(err)
      })
    rows.push({ scenario, seed, outcome, ms: Date.now() - begun })
  }
  console.log(`\n${table(rows)}`)
  process.exitCode = rows.every((r) => passed(r.outcome)) ? 0 : 1
  // Runs a crashed scenario left behind must not keep the process (and the table's reader) waiting.
  setTimeout(() => process.exit(), 1000).unref()
}

function crashed(err: unknown): Outcome {
  const why = err instanceof Error ? err.message.split('\n').slice(0, 3).join(' / ') : String(err)
  return { load: '-', faults: '-', leaks: 0, losses: 0, problems: [`the scenario threw: ${why}`] }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
