import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** The in-container runtime's scripts: ours, and tslib's helpers for old compile targets. */
export interface RuntimeSources {
  readonly runtime: string
  readonly tslib: string
}

export function readSources(): RuntimeSources {
  return {
    runtime: readFileSync(join(__dirname, 'lev-runtime.js'), 'utf8'),
    tslib: readFileSync(require.resolve('tslib/tslib.js'), 'utf8'),
  }
}
