import { readFileSync } from 'node:fs'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { median } from './measure'

export const MiB = 1024 * 1024

let gcFn: (() => void) | undefined

/** A full garbage collection, so that a baseline is not full of earlier garbage. */
export function collectGarbage(): void {
  if (!gcFn) {
    // gc() without starting node with --expose-gc: the flag takes effect in contexts made after it.
    setFlagsFromString('--expose-gc')
    gcFn = runInNewContext('gc') as () => void
  }
  gcFn()
}

export interface MemorySample {
  /** Peak RSS over the RSS just before, in bytes. */
  readonly rss: number
  /** Peak of V8's used heap + external (Buffer) memory over its level just before, in bytes. */
  readonly heap: number
  readonly ms: number
}

/**
 * Runs `fn` and reports how much this process's memory rose during it, over its level just
 * before (after a full GC):
 * - `rss`: peak resident set size. Sampled every 10 ms; since a long synchronous step can hide a
 *   peak from the sampler, the kernel's high-water mark of this process image (`VmHWM`) is read
 *   too, and counts when it rose during the run. Not getrusage's `maxRSS`: Linux carries that
 *   across exec from the forking parent, so a child of a large runner reads the runner's peak.
 * - `heap`: peak of V8's used heap plus external (Buffer) memory, sampled alike. It counts garbage
 *   not yet collected, so it is an upper bound on what was live at once.
 */
/** VmHWM of /proc/self/status, in bytes (0 where there is no such file). */
function highWaterMark(): number {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))
    return kb ? Number(kb[1]) * 1024 : 0
  } catch {
    return 0
  }
}

export async function peakRss(fn: () => Promise<unknown>): Promise<MemorySample> {
  collectGarbage()
  const start = process.memoryUsage()
  const hwmBefore = highWaterMark()
  const heapBefore = start.heapUsed + start.external
  let peak = start.rss
  let heapPeak = heapBefore
  const sample = () => {
    const m = process.memoryUsage()
    peak = Math.max(peak, m.rss)
    heapPeak = Math.max(heapPeak, m.heapUsed + m.external)
  }
  const timer = setInterval(sample, 10)
  try {
    const t0 = performance.now()
    await fn()
    const ms = performance.now() - t0
    sample()
    const hwmAfter = highWaterMark()
    if (hwmAfter > hwmBefore) peak = Math.max(peak, hwmAfter)
    return { rss: peak - start.rss, heap: heapPeak - heapBefore, ms }
  } finally {
    clearInterval(timer)
  }
}

/**
 * A memory case, exported by a bench module under `memoryCases`: made in a fresh process from a
 * JSON argument; `warmUp` does a small run of the same kind (modules loaded, connections made),
 * then `run` is measured, then `close` cleans up.
 */
export type MemoryCase = (
  arg: never,
) => Promise<{ warmUp(): Promise<void>; run(): Promise<void>; close?(): Promise<void> }>

/**
 * Measures a memory case of `module` (a path) in a fresh node process. A long-lived process
 * reuses the heap pages of its earlier runs, so its RSS barely moves however much a run holds
 * (a driver insert of an 8 MB document showed 0–10 MiB); a fresh process, warmed up with a small
 * run, shows what a run costs a script that does it once.
 */
export function measureInChild(
  module: string,
  name: string,
  arg: unknown,
  env: NodeJS.ProcessEnv = {},
): Promise<MemorySample> {
  const args = [
    '-r',
    require.resolve('ts-node/register/transpile-only'),
    join(__dirname, 'memory-child.ts'),
    module,
    name,
    JSON.stringify(arg),
  ]
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { env: { ...process.env, ...env }, maxBuffer: 16 * MiB },
      (err, stdout, stderr) => {
        const line = stdout.split('\n').find((l) => l.startsWith('MEMORY '))
        if (err || !line) {
          reject(
            new Error(
              `memory case ${name} failed: ${(stderr || String(err)).trim().split('\n').slice(-3).join(' / ')}`,
            ),
          )
          return
        }
        resolve(JSON.parse(line.slice('MEMORY '.length)) as MemorySample)
      },
    )
  })
}

export interface MemoryRow {
  readonly name: string
  readonly samples: MemorySample[]
  error?: unknown
}

/** Runs each case `rounds` times, interleaved, each in its own fresh process. */
export async function memoryRows(
  cases: readonly { name: string; measure(): Promise<MemorySample> }[],
  rounds: number,
): Promise<MemoryRow[]> {
  const rows: MemoryRow[] = cases.map((c) => ({ name: c.name, samples: [] }))
  for (let i = 0; i < rounds; i++) {
    for (const [j, c] of cases.entries()) {
      if (rows[j].error !== undefined) continue
      try {
        rows[j].samples.push(await c.measure())
      } catch (err) {
        rows[j].error = err
      }
    }
  }
  return rows
}

export function medianOf(row: MemoryRow | undefined, key: 'rss' | 'heap' | 'ms'): number {
  return row?.samples.length ? median(row.samples.map((s) => s[key])) : Number.NaN
}

/** Prints peak RSS increase (median, min–max) and heap+buffers, optionally as multiples of `per` bytes. */
export function printMemoryTable(
  title: string,
  rows: readonly MemoryRow[],
  per?: { label: string; bytes: (row: string) => number },
): void {
  const mib = (b: number) => (b / MiB).toFixed(1)
  console.log(`\n${title}`)
  console.log(
    `| what | peak RSS increase MiB, median | min–max MiB |${per ? ` × ${per.label} |` : ''} peak heap+buffers increase MiB, median | run ms, median |`,
  )
  console.log(`|---|---|---|${per ? '---|' : ''}---|---|`)
  for (const r of rows) {
    if (r.samples.length === 0) {
      console.log(
        `| ${r.name} | FAILED: ${String((r.error as Error)?.message ?? r.error).replace(/\|/g, '\\|')} | |${per ? ' |' : ''} | |`,
      )
      continue
    }
    const rss = r.samples.map((s) => s.rss)
    const m = medianOf(r, 'rss')
    const ratio = per ? ` ${(m / per.bytes(r.name)).toFixed(2)}× |` : ''
    console.log(
      `| ${r.name} | ${mib(m)} | ${mib(Math.min(...rss))}–${mib(Math.max(...rss))} |${ratio} ${mib(medianOf(r, 'heap'))} | ${medianOf(r, 'ms').toFixed(0)} |`,
    )
  }
}
