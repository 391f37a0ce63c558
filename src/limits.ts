import { memoryBytes, MIN_MEMORY_BYTES } from './docker/memory'
import { OptionsError } from './errors'
import { shown } from './shown'

/**
 * A memory size: bytes, or a number with a `k`, `m` or `g` suffix (powers of 1024), like docker's
 * `--memory`. At least `'6m'`, the engine's minimum.
 *
 * ```ts
 * const memory: MemorySize = '512m'                   // or 512 * 1024 ** 2, or '2g'
 * const doc = await new Cr('levkit/nmap:1.0', 'talentsec/nmap@1.0', { entry: scan(ip), memory })
 * if (doc.run.oomKilled) console.warn('killed for memory, exit code', doc.exitCode)   // 137
 * ```
 */
export type MemorySize = number | `${number}${'k' | 'm' | 'g'}`

/** Resource limits of one container, as the engine takes them. */
export interface ResourceLimits {
  readonly memoryBytes?: number
  /** CPU quota in billionths of a CPU (docker's NanoCpus): `cpus: 0.5` is 500 000 000. */
  readonly nanoCpus?: number
  readonly pids?: number
}

/** setTimeout's longest delay. */
export const MAX_TIMER_MS = 2 ** 31 - 1

export { MIN_MEMORY_BYTES }

export function parseMemory(value: unknown, option = 'memory'): number | undefined {
  if (value === undefined) return undefined
  const bytes = memoryBytes(value)
  if (typeof bytes !== 'number') throw new OptionsError(option, bytes.reason)
  return bytes
}

export function parseCpus(value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0.01) {
    throw new OptionsError('cpus', `${shown(value)} is not a CPU count of at least 0.01 (e.g. 0.5, 2)`)
  }
  return Math.round(value * 1e9)
}

export function parsePids(value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new OptionsError('pids', `${shown(value)} is not a process count (an integer, at least 1)`)
  }
  return value as number
}

/** A duration in ms: above 0, at most what a timer can wait. */
export function parseDuration(value: unknown, option: string): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMER_MS) {
    throw new OptionsError(
      option,
      `${shown(value)} is not a number of milliseconds above 0 (at most ${MAX_TIMER_MS})`,
    )
  }
  return value
}

/** `LEVRT_TIMEOUT` / `LEVRT_IDLE_TIMEOUT`: defaults in ms for every run of the script that sets none. */
export function durationFromEnv(
  name: 'LEVRT_TIMEOUT' | 'LEVRT_IDLE_TIMEOUT',
  env: NodeJS.ProcessEnv = process.env,
): number | undefined {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return undefined
  return parseDuration(/^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : NaN, name)
}
