import { OptionsError } from '../errors'
import type { ReusePolicy } from '../run-spec'

/** `LEVRT_REUSE=1` (what `levrt run --resume` sets): every Cr without its own `reuse` reuses. */
export function reuseFromEnv(env: NodeJS.ProcessEnv = process.env): ReusePolicy {
  const raw = (env.LEVRT_REUSE ?? '').trim().toLowerCase()
  if (raw === '' || raw === '0' || raw === 'false') return { reuse: false }
  if (raw === '1' || raw === 'true') return { reuse: true, maxAgeMs: undefined }
  throw new OptionsError('LEVRT_REUSE', `${JSON.stringify(env.LEVRT_REUSE)} is not 1 or 0`)
}
