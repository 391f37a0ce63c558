/**
 * Engine requests in flight in this process, for a scenario that finds a run hung: which calls
 * it waits on, and for how long. Wraps docker-modem's `dial` (every dockerode call goes through
 * it) while `watch()` is on.
 */
type Dial = (options: { method?: string; path?: string }, callback: (...args: unknown[]) => void) => unknown

export class PendingRequests {
  private readonly pending = new Map<number, { what: string; since: number }>()
  private restore: (() => void) | undefined

  watch(): void {
    const Modem = require('docker-modem') as { prototype: { dial: Dial } }
    const dial = Modem.prototype.dial
    const pending = this.pending
    let next = 0
    Modem.prototype.dial = function (this: unknown, options, callback) {
      const id = next++
      const path = String(options.path ?? '').replace(/\?.*/, '')
      pending.set(id, { what: `${options.method ?? 'GET'} ${path}`, since: Date.now() })
      return dial.call(this, options, (...args: unknown[]) => {
        pending.delete(id)
        callback(...args)
      })
    }
    this.restore = () => (Modem.prototype.dial = dial)
  }

  /** Requests older than `ms`, oldest first: `POST /containers/…/wait for 95 s`. */
  olderThan(ms: number): string[] {
    const now = Date.now()
    return [...this.pending.values()]
      .filter((p) => now - p.since > ms)
      .sort((a, b) => a.since - b.since)
      .map((p) => `${p.what} for ${Math.round((now - p.since) / 1000)} s`)
  }

  stop(): void {
    this.restore?.()
  }
}
