import { OptionsError } from '../errors'

/**
 * `LEVRT_REAPER`: `off` runs no session reaper; unset, empty or `on` runs one. Anything else is
 * an OptionsError, so a typo cannot leave it silently on or off.
 */
export function reaperWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = (env.LEVRT_REAPER ?? '').trim().toLowerCase()
  if (raw === '' || raw === 'on') return true
  if (raw === 'off') return false
  throw new OptionsError('LEVRT_REAPER', `${JSON.stringify(env.LEVRT_REAPER)} is not on or off`)
}
