import { cpus, totalmem } from 'node:os'
import { performance } from 'node:perf_hooks'
import Dockerode from 'dockerode'

/**
 * One thing to time. `before` and `after` run around each timed `run()` but outside the timing:
 * what `before` returns is handed to `run`, and `after` gets both (the result is undefined when
 * `run` threw), so a contender can set up or clean up without that counting.
 */
export interface Contender<P = unknown, R = unknown> {
  readonly name: string
  before?(): Promise<P>
  run(prepared: P): Promise<R>
  after?(prepared: P, result: R | undefined): Promise<void>
}

/** Types one contender on its own, then erases its types so contenders of any kind fit one list. */
export function contender<P, R>(c: Contender<P, R>): Contender {
  return c as unknown as Contender
}

export interface Row {
  readonly name: string
  /** Milliseconds per run. */
  readonly samples: number[]
  /** Set when a run failed; the contender is then dropped from the remaining rounds. */
  error?: unknown
}

/**
 * Runs every contender `rounds` times, interleaved (a, b, c, a, b, c, ...) so that drift in the
 * machine's state hits all of them alike, after one unmeasured warm-up run each. A contender
 * whose run throws is recorded as failed (`row.error`) and skipped from then on; the others go on.
 */
export async function interleaved(contenders: readonly Contender[], rounds: number): Promise<Row[]> {
  const rows: Row[] = contenders.map((c) => ({ name: c.name, samples: [] }))
  for (let i = -1; i < rounds; i++) {
    // Each round starts one contender later, so each follows every other equally often: what one
    // leaves behind (a disk still flushing, a busy engine) does not always land on the same one.
    for (let k = 0; k < contenders.length; k++) {
      const j = (k + Math.max(i, 0)) % contenders.length
      const c = contenders[j]
      if (rows[j].error !== undefined) continue
      try {
        const ms = await once(c)
        if (i >= 0) rows[j].samples.push(ms) // i = -1: the warm-up
      } catch (err) {
        rows[j].error = err
      }
    }
  }
  return rows
}

async function once(c: Contender): Promise<number> {
  const prepared = c.before ? await c.before() : undefined
  let result: unknown
  try {
    const t0 = performance.now()
    result = await c.run(prepared)
    return performance.now() - t0
  } finally {
    if (c.after) await c.after(prepared, result)
  }
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

/** Median of the named row's samples, or NaN when it has none (it failed). */
export function rowMedian(rows: readonly Row[], name: string): number {
  const row = rows.find((r) => r.name === name)
  return row && row.samples.length ? median(row.samples) : Number.NaN
}

/** Prints medians, min–max and each row's ratio to `baseline` (a row name); a failed row says so. */
export function printTable(title: string, rows: readonly Row[], baseline: string, unit = 'ms'): void {
  const base = rowMedian(rows, baseline)
  console.log(`\n${title}`)
  console.log(`| what | median ${unit} | min–max ${unit} | ratio to ${baseline} |`)
  console.log('|---|---|---|---|')
  for (const r of rows) {
    if (r.samples.length === 0) {
      console.log(`| ${r.name} | FAILED: ${firstLine(r.error)} | | |`)
      continue
    }
    const m = median(r.samples)
    const lo = Math.min(...r.samples)
    const hi = Math.max(...r.samples)
    console.log(
      `| ${r.name} | ${m.toFixed(1)} | ${lo.toFixed(1)}–${hi.toFixed(1)} | ${(m / base).toFixed(2)}× |`,
    )
    if (r.error !== undefined)
      console.log(`| ↳ then FAILED, after ${r.samples.length} runs: ${firstLine(r.error)} | | | |`)
  }
}

/** An error's class and first line, fit for a table cell. */
export function firstLine(err: unknown): string {
  const text = err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)
  return text.split('\n')[0].replace(/\|/g, '\\|')
}

/** "met" / "NOT met" / "not measured" for a figure against its target. */
export function verdict(value: number, ok: (v: number) => boolean): string {
  return Number.isNaN(value) ? 'not measured' : ok(value) ? 'met' : 'NOT met'
}

export async function printMachine(docker: Dockerode): Promise<void> {
  const info = (await docker.version()) as { Version: string; ApiVersion: string }
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
      `node ${process.version}, Docker engine ${info.Version} (API ${info.ApiVersion})`,
  )
}
