/**
 * Serializes async work: `run(fn)` starts `fn` once every earlier one has settled. What must be
 * checked and changed together (counting an uid's environments, then adding one) runs inside.
 */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(fn)
    this.tail = result.catch(() => undefined)
    return result
  }
}

/** One Mutex per key, dropped when idle. */
export class KeyedMutex<K> {
  private readonly tails = new Map<K, Promise<unknown>>()

  run<T>(key: K, fn: () => Promise<T> | T): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(fn)
    const settled = result.catch(() => undefined)
    this.tails.set(key, settled)
    void settled.then(() => this.tails.get(key) === settled && this.tails.delete(key))
    return result
  }

  /** Resolves once everything begun so far, under every key, has settled. */
  async idle(): Promise<void> {
    await Promise.all([...this.tails.values()])
  }
}
