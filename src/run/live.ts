/**
 * The runs of this process that still hold engine objects. While there are any, SIGINT, SIGTERM
 * and SIGHUP first abort them (their results are collected and stored, their containers,
 * services and networks removed), then the signal takes its normal course. With no live run,
 * no handler is installed and signals behave as if levrt were not there.
 */
export interface LiveRun {
  abort(reason: unknown): Promise<unknown>
}

const live = new Set<LiveRun>()
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
/** How long teardown may hold up a signal before the process goes anyway. */
const SIGNAL_GRACE_MS = 10_000

export function register(run: LiveRun): () => void {
  live.add(run)
  if (live.size === 1) for (const sig of SIGNALS) process.on(sig, onSignal)
  return () => {
    live.delete(run)
    if (live.size === 0) for (const sig of SIGNALS) process.off(sig, onSignal)
  }
}

let stopping = false

function onSignal(signal: NodeJS.Signals): void {
  if (stopping) {
    // A second signal while cleaning up: the user means it. Go now; `levrt gc` sweeps the rest.
    for (const sig of SIGNALS) process.off(sig, onSignal)
    process.kill(process.pid, signal)
    return
  }
  stopping = true
  process.stderr.write(`levrt: ${signal}: stopping ${live.size} run(s) and removing their containers\n`)
  const runs = [...live]
  const grace = new Promise((resolve) => setTimeout(resolve, SIGNAL_GRACE_MS).unref())
  void Promise.race([Promise.allSettled(runs.map((r) => r.abort(new Error(`the host process got ${signal}`)))), grace]).then(() => {
    for (const sig of SIGNALS) process.off(sig, onSignal)
    // Someone else listens: they decide what the signal means. Otherwise, die of it as usual.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
    stopping = false
  })
}
