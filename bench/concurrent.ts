import { execFile } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import type Dockerode from 'dockerode'
import pLimit from 'p-limit'
import { Concurrent, Cr } from '../src/index'
import { withEnv } from './lib/env'
import { firstLine, median, verdict } from './lib/measure'
import { assertImages, BENCH_PID, benchLabels } from './lib/owned'

const run = promisify(execFile)
const IMAGE = 'levrt/busybox'
const RUNS = 200
const WARM_UP_RUNS = 16
export const P2_LIMITS = [1, 4, 16] as const
/** Targets (../shared/BENCH.md): levrt's throughput over the CLI's, and over the bare pool's. */
export const P2_TARGET = 1.0
export const P2_POOL_TARGET = 0.95

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

/** The floor: what any dockerode program must ask of the engine per run, and nothing more. */
function pool(docker: Dockerode): Contender {
  return {
    name: 'dockerode pool: create/start/wait/remove under p-limit (floor)',
    async batch(runs, limit) {
      const cap = pLimit(limit)
      const one = async () => {
        const c = await docker.createContainer({ Image: IMAGE, Cmd: ['true'], Labels: benchLabels() })
        try {
          await c.start()
          await c.wait()
        } finally {
          await c.remove({ force: true, v: true })
        }
      }
      await Promise.all(Array.from({ length: runs }, () => cap(one)))
    },
  }
}

interface Cell {
  /** Runs per second, one per round. */
  readonly samples: number[]
  error?: unknown
}

type Limit = (typeof P2_LIMITS)[number]

export interface ConcurrentOutcome {
  /** levrt's throughput over the CLI's (median runs/s), per limit; NaN where one failed. */
  readonly ratios: Record<Limit, number>
  /** levrt's throughput over the bare dockerode pool's, per limit; NaN where one failed. */
  readonly poolRatios: Record<Limit, number>
  /** Whether both targets are met at every limit. */
  readonly met: boolean
}

/**
 * P2: 200 runs of `true` through `Concurrent` at limits 1, 4 and 16, against `xargs -P` of
 * `docker run --rm` and a bare dockerode pool (the floor) at the same parallelism, as
 * throughput (runs/s). A round at limit 1 takes a minute per contender, so this runs `rounds`
 * rounds (bench/run.ts gives it fewer), after a small warm-up batch each; within a limit, the
 * contenders take turns going first.
 */
export async function concurrentBench(docker: Dockerode, rounds: number): Promise<ConcurrentOutcome> {
  await assertImages(docker, [IMAGE], 'run: npm run images')
  const floor = pool(docker)
  const contenders = [cli, floor, levrt]
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
  const rate = (c: Contender, limit: number) => {
    const { samples } = cell(c, limit)
    return samples.length ? median(samples) : Number.NaN
  }
  const ratios = {} as Record<Limit, number>
  const poolRatios = {} as Record<Limit, number>
  console.log(
    `\nP2 — ${RUNS} runs of \`${IMAGE} true\` per batch, ${rounds} rounds interleaved (target: levrt ≥ ${P2_TARGET}× the CLI's and ≥ ${P2_POOL_TARGET}× the pool's throughput at each limit)`,
  )
  console.log('| limit | what | median runs/s | min–max runs/s | ratio to the CLI | ratio to the pool |')
  console.log('|---|---|---|---|---|---|')
  for (const limit of P2_LIMITS) {
    for (const c of contenders) {
      const { samples, error } = cell(c, limit)
      if (samples.length === 0) {
        console.log(`| ${limit} | ${c.name} | FAILED: ${firstLine(error)} | | | |`)
        continue
      }
      const m = median(samples)
      const range = `${Math.min(...samples).toFixed(2)}–${Math.max(...samples).toFixed(2)}`
      console.log(
        `| ${limit} | ${c.name} | ${m.toFixed(2)} | ${range} | ${(m / rate(cli, limit)).toFixed(2)}× | ${(m / rate(floor, limit)).toFixed(2)}× |`,
      )
    }
    ratios[limit] = rate(levrt, limit) / rate(cli, limit)
    poolRatios[limit] = rate(levrt, limit) / rate(floor, limit)
  }
  const worst = Math.min(...Object.values(ratios))
  const worstPool = Math.min(...Object.values(poolRatios))
  const each = (r: Record<Limit, number>) => P2_LIMITS.map((l) => `${l}: ${r[l].toFixed(2)}×`).join(', ')
  console.log(
    `\nP2 levrt / CLI: ${each(ratios)}; worst ${worst.toFixed(2)}× (target ≥ ${P2_TARGET}×) ${verdict(worst, (r) => r >= P2_TARGET)}` +
      `\nP2 levrt / pool: ${each(poolRatios)}; worst ${worstPool.toFixed(2)}× (target ≥ ${P2_POOL_TARGET}×) ${verdict(worstPool, (r) => r >= P2_POOL_TARGET)}`,
  )
  return { ratios, poolRatios, met: worst >= P2_TARGET && worstPool >= P2_POOL_TARGET }
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
