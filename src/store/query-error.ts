import { LevError } from '../errors'

/**
 * A filter, sort, projection or find option the embedded store does not support, or that
 * MongoDB itself would refuse. Thrown before the database is read: a query the store cannot
 * answer exactly as MongoDB does is refused, never answered differently.
 *
 * ```ts
 * try { await coll.find({ $where: 'this.a > 1' }).toArray() } catch (err) {
 *   if (err instanceof QueryError) console.error(err.message) // the embedded store does not support $where
 * }
 * ```
 */
export class QueryError extends LevError {
  readonly code = 'LEV_QUERY'
  constructor(message: string) {
    super(message)
  }
}
