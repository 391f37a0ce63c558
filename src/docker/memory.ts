import { shown } from '../shown'

/** The engine refuses less (Docker: "Minimum memory limit allowed is 6MB"). */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024

const UNITS = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as const

/**
 * Docker's memory notation: bytes, or a number with `k`, `m` or `g` (powers of 1024), at least
 * the engine's minimum. Returns the bytes, or why the value is not one (for the caller's error).
 */
export function memoryBytes(value: unknown): number | { readonly reason: string } {
  let bytes: number | undefined
  if (typeof value === 'number') bytes = value
  else if (typeof value === 'string') {
    const m = /^(\d+(?:\.\d+)?)([kmg])$/i.exec(value.trim())
    if (m) bytes = Number(m[1]) * UNITS[m[2].toLowerCase() as keyof typeof UNITS]
  }
  if (bytes === undefined || !Number.isFinite(bytes)) {
    return { reason: `${shown(value)} is not a memory size (bytes, or like '512m', '2g')` }
  }
  bytes = Math.floor(bytes)
  if (bytes < MIN_MEMORY_BYTES) return { reason: `${shown(value)} is below the engine's minimum of 6m` }
  return bytes
}
