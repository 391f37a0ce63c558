import { LevError, type LevErrorCode } from '../errors'

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
  // Not yet in errors.ts's catalogue of codes (being restructured): cast until it is added there.
  readonly code = 'LEV_QUERY' as unknown as LevErrorCode
  constructor(message: string) {
    super(message)
  }
}
