import { cpus, totalmem } from 'node:os'
import { performance } from 'node:perf_hooks'
import Dockerode from 'dockerode'

export interface Contender {
  readonly name: string
  run(): Promise<unknown>
}

export interface Row {
  readonly name: string
  readonly samples: number[]
}

/**
 * Runs every contender `rounds` times, interleaved (a, b, c, a, b, c, ...) so that drift in the
 * machine's state hits all of them alike, after one unmeasured warm-up run each.
 */
export async function interleaved(contenders: readonly Contender[], rounds: number): Promise<Row[]> {
  for (const c of contenders) await c.run()
  const rows = contenders.map((c) => ({ name: c.name, samples: [] as number[] }))
  for (let i = 0; i < rounds; i++) {
    for (const [j, c] of contenders.entries()) {
      const t0 = performance.now()
      await c.run()
      rows[j].samples.push(performance.now() - t0)
    }
  }
  return rows
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

/** Prints medians, min–max and each row's ratio to `baseline` (a row name). */
export function printTable(title: string, rows: readonly Row[], baseline: string, unit = 'ms'): void {
  const base = median(rows.find((r) => r.name === baseline)!.samples)
  console.log(`\n${title}`)
  console.log(`| what | median ${unit} | min–max ${unit} | ratio to ${baseline} |`)
  console.log('|---|---|---|---|')
  for (const r of rows) {
    const m = median(r.samples)
    const lo = Math.min(...r.samples)
    const hi = Math.max(...r.samples)
    console.log(`| ${r.name} | ${m.toFixed(1)} | ${lo.toFixed(1)}–${hi.toFixed(1)} | ${(m / base).toFixed(2)}× |`)
  }
}

export async function printMachine(docker: Dockerode): Promise<void> {
  const info = (await docker.version()) as { Version: string; ApiVersion: string }
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
      `node ${process.version}, Docker engine ${info.Version} (API ${info.ApiVersion})`,
  )
}
