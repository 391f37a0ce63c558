import { EngineUnavailableError } from '../errors'
import { describe, statusOf } from './status'

/** Socket-level failures: the engine is gone, whatever call hit them. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EACCES',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
])

/**
 * What a dockerd answers (500) while it shuts down, its runtime and stores closing under the
 * request: the engine is going away, not refusing this container (R0: starts refused with
 * `transport is closing: unavailable` while the engine stopped).
 */
const SHUTTING_DOWN =
  /transport is closing|: unavailable$|database not open|store for object type .*: open : no such file/

/**
 * An engine call's error as the caller should see it: an unreachable engine, or one shutting
 * down, is EngineUnavailableError (a run not yet started waits for its return).
 */
export function engineError(address: string, err: unknown): unknown {
  const code = (err as { code?: unknown } | undefined)?.code
  if (typeof code === 'string' && UNREACHABLE.has(code)) return new EngineUnavailableError(address, err)
  if (statusOf(err) === 500 && SHUTTING_DOWN.test(describe(err).trim()))
    return new EngineUnavailableError(address, err)
  return err
}

/**
 * The one place engine calls are guarded: every call of the Docker layer goes through `call`,
 * and removals through `remove`, for which "already gone" (404) is success.
 */
export class EngineGuard {
  private readonly watchers = new Set<() => void>()

  constructor(readonly address: string) {}

  /** Runs an engine call; a lost connection becomes an EngineUnavailableError. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw this.seen(engineError(this.address, err))
    }
  }

  /**
   * Calls `watcher` whenever a call finds the engine unreachable: long waits (a container's
   * wait) can outlive their connection without noticing, and check again then.
   */
  onUnreachable(watcher: () => void): () => void {
    this.watchers.add(watcher)
    return () => this.watchers.delete(watcher)
  }

  private seen(err: unknown): unknown {
    if (err instanceof EngineUnavailableError) for (const watcher of [...this.watchers]) watcher()
    return err
  }

  /** Runs a removal (or stop, kill): 404 and the `fine` statuses (409 "in progress", 304 "already") succeed. */
  async remove(fn: () => Promise<unknown>, ...fine: number[]): Promise<void> {
    try {
      await fn()
    } catch (err) {
      const status = statusOf(err)
      if (status === 404 || (status !== undefined && fine.includes(status))) return
      throw this.seen(engineError(this.address, err))
    }
  }
}
