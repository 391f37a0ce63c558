import { OptionsError } from '../errors'

/** Like a database driver's server selection timeout: long enough for a restart, bounded. */
export const DEFAULT_ENGINE_WAIT_MS = 30_000

/**
 * `LEVRT_ENGINE_WAIT`: how long a run not yet started waits for an engine that stopped
 * answering. Milliseconds (`30000`, the drivers' unit) or with a unit (`500ms`, `30s`); `0`
 * fails at once as before. Anything else is an OptionsError, so a typo cannot mean "forever".
 */
export function engineWaitMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = (env.LEVRT_ENGINE_WAIT ?? '').trim().toLowerCase()
  if (raw === '') return DEFAULT_ENGINE_WAIT_MS
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s)?$/.exec(raw)
  if (!match) {
    throw new OptionsError(
      'LEVRT_ENGINE_WAIT',
      `${JSON.stringify(env.LEVRT_ENGINE_WAIT)} is not a duration (milliseconds, or e.g. 30s)`,
    )
  }
  return Math.round(Number(match[1]) * (match[2] === 's' ? 1000 : 1))
}
