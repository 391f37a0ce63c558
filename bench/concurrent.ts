import { execFile } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import type Dockerode from 'dockerode'
import { Concurrent, Cr } from '../src/index'
import { withEnv } from './lib/env'
import { firstLine, median, verdict } from './lib/measure'
import { assertImages, BENCH_PID, benchLabels } from './lib/owned'

const run = promisify(execFile)
const IMAGE = 'levrt/busybox'
const RUNS = 200
const WARM_UP_RUNS = 16
export const P2_LIMITS = [1, 4, 16] as const
export const P2_TARGET = 1.2

type Contender = { readonly name: string; batch(runs: number, limit: number): Promise<void> }

const levrt: Contender = {
  name: 'levrt Concurrent',
  async batch(runs, limit) {
    await Concurrent.run({ limit }, async (c) => {
      for (let i = 0; i < runs; i++) void c.start(new Cr(IMAGE, { cmd: ['true'] }))
    })
  },
}

const cli: Contender = {
  name: 'xargs -P of docker run --rm (baseline)',
  async batch(runs, limit) {
    // Labelled like every container the benchmarks make, so a killed bench's leftovers are found.
    const labels = Object.entries(benchLabels())
      .map(([k, v]) => `--label ${k}=${v}`)
      .join(' ')
    const script = `seq ${runs} | xargs -P ${limit} -I{} docker run --rm ${labels} ${IMAGE} true >/dev/null`
    await run('sh', ['-c', script], { maxBuffer: 1 << 20 })
  },
}

interface Cell {
  /** Runs per second, one per round. */
  readonly samples: number[]
  error?: unknown
}

export interface ConcurrentOutcome {
  /** levrt's throughput over the CLI's (median runs/s), per limit; NaN where one failed. */
  readonly ratios: Record<(typeof P2_LIMITS)[number], number>
  /** The lowest of them: the figure against the target. */
  readonly worst: number
}

/**
 * P2: 200 runs of `true` through `Concurrent` at limits 1, 4 and 16, against `xargs -P` of
 * `docker run --rm` at the same parallelism, as throughput (runs/s). A round at limit 1 takes
 * a minute per contender, so this runs `rounds` rounds (bench/run.ts gives it fewer), after a
 * small warm-up batch each; within a limit, the contenders take turns going first.
 */
export async function concurrentBench(docker: Dockerode, rounds: number): Promise<ConcurrentOutcome> {
  await assertImages(docker, [IMAGE], 'run: npm run images')
  const contenders = [cli, levrt]
  const cells = new Map<string, Cell>()
  const cell = (c: Contender, limit: number) => {
    const key = `${c.name}@${limit}`
    if (!cells.has(key)) cells.set(key, { samples: [] })
    return cells.get(key)!
  }
  // The log would cost levrt time the CLI does not spend: keep it quiet, as by default.
  await withEnv({ LEVRT_LOG: undefined }, async () => {
    try {
      for (const limit of P2_LIMITS)
        for (const c of contenders) await c.batch(WARM_UP_RUNS, Math.min(limit, WARM_UP_RUNS))
      for (let round = 0; round < rounds; round++) {
        for (const limit of P2_LIMITS) {
          for (let k = 0; k < contenders.length; k++) {
            const c = contenders[(k + round) % contenders.length]
            const target = cell(c, limit)
            if (target.error !== undefined) continue
            const t0 = performance.now()
            try {
              await c.batch(RUNS, limit)
              target.samples.push(RUNS / ((performance.now() - t0) / 1000))
            } catch (err) {
              target.error = err
            }
          }
        }
      }
    } finally {
      await removeOwn(docker)
    }
  })
  const ratios = {} as Record<(typeof P2_LIMITS)[number], number>
  console.log(
    `\nP2 — ${RUNS} runs of \`${IMAGE} true\` per batch, ${rounds} rounds interleaved (target: levrt ≥ ${P2_TARGET}× the CLI's throughput at each limit)`,
  )
  console.log('| limit | what | median runs/s | min–max runs/s | ratio to the CLI |')
  console.log('|---|---|---|---|---|')
  for (const limit of P2_LIMITS) {
    const base = cell(cli, limit)
    const baseRate = base.samples.length ? median(base.samples) : Number.NaN
    for (const c of contenders) {
      const { samples, error } = cell(c, limit)
      if (samples.length === 0) {
        console.log(`| ${limit} | ${c.name} | FAILED: ${firstLine(error)} | | |`)
        continue
      }
      const m = median(samples)
      console.log(
        `| ${limit} | ${c.name} | ${m.toFixed(2)} | ${Math.min(...samples).toFixed(2)}–${Math.max(...samples).toFixed(2)} | ${(m / baseRate).toFixed(2)}× |`,
      )
      if (c === levrt) ratios[limit] = m / baseRate
    }
    ratios[limit] ??= Number.NaN
  }
  const worst = Math.min(...Object.values(ratios))
  const each = P2_LIMITS.map((l) => `${l}: ${ratios[l].toFixed(2)}×`).join(', ')
  console.log(
    `\nP2 ratios (levrt / CLI throughput): ${each}; worst ${worst.toFixed(2)}× (target ≥ ${P2_TARGET}×) ${verdict(worst, (r) => r >= P2_TARGET)}`,
  )
  return { ratios, worst }
}

/** What a failed batch could leave: `docker run --rm` killed mid-way. levrt's runs remove their own. */
async function removeOwn(docker: Dockerode): Promise<void> {
  const filters = JSON.stringify({ label: [`${BENCH_PID}=${process.pid}`] })
  for (const c of await docker.listContainers({ all: true, filters })) {
    await docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => undefined)
  }
}
