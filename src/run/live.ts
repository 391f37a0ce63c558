/** A run that still holds engine objects, as the signal handler sees it. */
export interface LiveRun {
  abort(reason: unknown): Promise<unknown>
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
/** How long teardown may hold up a signal before the process goes anyway. */
const SIGNAL_GRACE_MS = 10_000

/**
 * The runs of a context that still hold engine objects. While there are any, SIGINT, SIGTERM
 * and SIGHUP first abort them (their results are collected and stored, their containers,
 * services and networks removed), then the signal takes its normal course. With no live run,
 * no handler is installed and signals behave as if levrt were not there. Two contexts each
 * stop their own runs; the last one to finish lets the signal through.
 */
export class LiveRuns {
  private readonly live = new Set<LiveRun>()
  private stopping = false
  private readonly handler = (signal: NodeJS.Signals): void => this.onSignal(signal)

  register(run: LiveRun): () => void {
    this.live.add(run)
    if (this.live.size === 1) for (const sig of SIGNALS) process.on(sig, this.handler)
    return () => {
      this.live.delete(run)
      if (this.live.size === 0) this.unlisten()
    }
  }

  get size(): number {
    return this.live.size
  }

  private unlisten(): void {
    for (const sig of SIGNALS) process.off(sig, this.handler)
  }

  private onSignal(signal: NodeJS.Signals): void {
    if (this.stopping) {
      // A second signal while cleaning up: the user means it. Go now; `levrt gc` sweeps the rest.
      this.unlisten()
      process.kill(process.pid, signal)
      return
    }
    this.stopping = true
    process.stderr.write(
      `levrt: ${signal}: stopping ${this.live.size} run(s) and removing their containers\n`,
    )
    const runs = [...this.live]
    const grace = new Promise((resolve) => setTimeout(resolve, SIGNAL_GRACE_MS).unref())
    const stopped = Promise.allSettled(runs.map((r) => r.abort(new Error(`the host process got ${signal}`))))
    void Promise.race([stopped, grace]).then(() => {
      this.unlisten()
      // Someone else listens: they decide what the signal means. Otherwise, die of it as usual.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
      this.stopping = false
    })
  }
}
