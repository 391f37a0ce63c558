/** Compose's sizes and durations (the schema has checked their shape). */

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }

/** `512m`, `1gb`, `64M`, `1048576` -> bytes. */
export function sizeBytes(value: number | string): number {
  if (typeof value === 'number') return value
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmg]?)b?\s*$/i.exec(value)
  if (!m) return NaN
  return Math.floor(Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()])
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}

/** `1m30s`, `500ms`, `10s` -> milliseconds. */
export function durationMs(value: string): number {
  let total = 0
  for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g))
    total += Number(m[1]) * DURATION_UNITS[m[2]]
  return total
}

/** `0.5`, `"1.5"` -> billionths of a CPU. */
export function nanoCpus(value: number | string): number {
  return Math.round(Number(value) * 1e9)
}
