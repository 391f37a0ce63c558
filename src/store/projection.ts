import { RUN_FIELD, type Projection } from './store'

/**
 * The projection `Document.get()` sends: the caller's, with `_id` and the bookkeeping left out
 * unless the caller named them. MongoDB forbids mixing inclusion and exclusion (but for `_id`),
 * so the bookkeeping is only excluded explicitly when the caller's projection excludes.
 */
export function visibleProjection(projection: Projection | undefined): Projection {
  const p = { ...projection }
  const fields = Object.entries(p).filter(([k]) => k !== '_id')
  const including = fields.some(([, v]) => isInclusion(v))
  if (!('_id' in p)) p._id = 0
  if (!including && !(RUN_FIELD in p)) p[RUN_FIELD] = 0
  return p
}

function isInclusion(value: unknown): boolean {
  if (value === 0 || value === false) return false
  // `{ $slice }` alone shapes a field without making the projection an inclusion (MongoDB ≥ 4.4).
  if (typeof value === 'object' && value !== null) return !Object.keys(value).every((k) => k === '$slice')
  return true
}
