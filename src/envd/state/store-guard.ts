import { StoreDownError } from '../errors'

/** After the store failed to answer, how long writes fail at once before one tries it again. */
export const RETRY_AFTER_MS = 2000

/**
 * Guards the store's operations: one that finds the store unreachable is a `StoreDownError`
 * (503: nothing changed, retry later), and for the next `retryAfterMs` writes fail at once with
 * it instead of each waiting out the driver's server selection (10 s) under the admission lock,
 * which would queue every create behind the first.
 */
export class StoreGuard {
  private downUntil = 0
  private lastCause = ''

  constructor(
    private readonly retryAfterMs = RETRY_AFTER_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the last operation found the store unreachable (and a retry is not due yet). */
  get down(): boolean {
    return this.now() < this.downUntil
  }

  async run<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (this.down)
      throw new StoreDownError(`could not ${what}: the store does not answer (${this.lastCause})`)
    try {
      const result = await op()
      this.downUntil = 0
      return result
    } catch (err) {
      if (!isUnreachable(err)) throw err
      this.downUntil = this.now() + this.retryAfterMs
      this.lastCause = err instanceof Error ? err.message : String(err)
      throw new StoreDownError(`could not ${what}: the store does not answer (${this.lastCause})`, {
        cause: err,
      })
    }
  }
}

/**
 * No server answered, as opposed to one refusing: the SDK's StoreError says so (`unreachable`);
 * reads through a collection throw the driver's own errors.
 */
export function isUnreachable(err: unknown): boolean {
  if (err instanceof StoreDownError) return true
  if ((err as { unreachable?: unknown } | undefined)?.unreachable === true) return true
  const name = (err as { name?: unknown } | undefined)?.name
  return (
    typeof name === 'string' &&
    /^Mongo(ServerSelection|Network|NetworkTimeout|TopologyClosed)Error$/.test(name)
  )
}
