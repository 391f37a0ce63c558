import type { Entry } from './entry'
import type { ResourceLimits } from './limits'
import type { FileSource } from './options'

/** A `Cr`'s options, checked and normalised: what the engine layer runs. */
export interface RunSpec {
  readonly image: string
  /** Undefined: the default collection. */
  readonly schema: string | undefined
  readonly host: boolean
  readonly entry: Entry | undefined
  /** Undefined: the image's own CMD. */
  readonly cmd: readonly string[] | undefined
  readonly env: readonly string[]
  readonly files: readonly FileSpec[]
  readonly links: readonly (readonly [alias: string, host: string])[]
  readonly ports: readonly number[]
  readonly services: readonly (readonly [name: string, spec: RunSpec])[]
  readonly portTimeoutMs: number
  readonly signal: AbortSignal | undefined
  /** Given on this Cr; the environment's defaults are applied when the run starts. */
  readonly timeoutMs: number | undefined
  readonly idleTimeoutMs: number | undefined
  /** This Cr's limits (a service's include the run's where it gives none). */
  readonly limits: ResourceLimits
  /** Undefined: `LEVRT_REUSE` decides when the run starts. */
  readonly reuse: ReusePolicy | undefined
  /** The `name` option: shown instead of `<image>-<n>` in the log, stored in the bookkeeping. */
  readonly name: string | undefined
}

/** Whether a stored run may stand in for this one, and how old it may be. */
export type ReusePolicy =
  { readonly reuse: false } | { readonly reuse: true; readonly maxAgeMs: number | undefined }

export const DEFAULT_PORT_TIMEOUT_MS = 60_000

export interface FileSpec {
  readonly target: string
  readonly source: FileSource
}

import { SPEC } from './spec-symbol'

export { SPEC }

export function specOf(value: unknown): RunSpec | undefined {
  return typeof value === 'object' && value !== null ? (value as { [SPEC]?: RunSpec })[SPEC] : undefined
}
