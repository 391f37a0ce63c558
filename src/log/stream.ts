/**
 * Where a live log writes: `process.stderr` by default, anything with `write` in tests.
 * `isTTY` and `columns` decide whether the status line is redrawn in place, and how wide it is.
 */
export interface LogStream {
  write(text: string): unknown
  readonly isTTY?: boolean
  readonly columns?: number
}

const GUARDED = Symbol.for('levrt.closedReaderIgnored')

/**
 * From now on, a reader of `stream` that goes away (`levrt run ... 2>&1 | head`: EPIPE) is no
 * error: what is written is dropped and the work goes on, so runs still end, store their results
 * and remove their containers. Marked on the stream itself, so it is added once.
 */
export function ignoreClosedReader(stream: NodeJS.WritableStream): void {
  const marked = stream as NodeJS.WritableStream & { [GUARDED]?: true }
  if (marked[GUARDED]) return
  marked[GUARDED] = true
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err
  })
}

/** Writes, ignoring a stream that has gone away (EPIPE): the log must never fail a run. */
export function writeTo(out: LogStream, text: string): void {
  try {
    out.write(text)
  } catch {
    // nothing useful to do: the reader is gone
  }
}

/** `350ms`, `1.2s`, `2m05s`: short enough for a prefix line or the status line. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const s = Math.floor(ms / 1000)
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
}

/** An error as one line: its class and the first line of its message (logs follow on later lines). */
export function errorLine(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message.split('\n')[0]}`
  return String(err).split('\n')[0]
}
