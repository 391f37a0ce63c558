/**
 * What a run tells the live log. Runs call these hooks; a sink decides what (if anything) to
 * print. The library prints nothing unless asked: `LEVRT_LOG=pretty|plain|json|quiet`, read as
 * each run starts, picks the mode (on stderr).
 *
 * ```ts
 * const mode: LogMode = process.stderr.isTTY ? 'pretty' : 'json'
 * process.env.LEVRT_LOG = mode                      // for the runs started from now on
 * await Concurrent.run({ limit: 4 }, (c) => { for (const u of urls) c.start(scan(u)) })
 * ```
 */
export type LogMode = 'pretty' | 'plain' | 'json' | 'quiet'

/** One run as the log names it. */
export interface RunInfo {
  /** The run id (the document's `_id`). */
  readonly id: string
  /** A short, per-process unique name for prefixes, like compose's: `nmap-1`, `busybox-3`. */
  readonly name: string
  readonly image: string
  readonly collection: string
}

/** How a run ended: its exit code (and OOM kill), or the error it failed with. */
export type RunOutcome =
  /** `reused`: an earlier run stood in (`reuse`); nothing ran. */
  | { readonly exitCode: number; readonly oomKilled: boolean; readonly reused?: boolean }
  | { readonly error: unknown }

/** A Concurrent group's counts, for the status line. */
export interface GroupCounts {
  readonly done: number
  readonly running: number
  readonly queued: number
  readonly failed: number
  readonly total: number
}

/** The live status of one Concurrent group. */
export interface GroupLog {
  update(counts: GroupCounts): void
  /** The group settled: the last status, then the line goes away (on a TTY). */
  end(counts: GroupCounts): void
}

export interface LogSink {
  readonly mode: LogMode
  runStarted(run: RunInfo): void
  /** Raw output as it arrives; the sink splits it into lines (a chunk may end mid-line). */
  output(run: RunInfo, stream: 'stdout' | 'stderr', chunk: Buffer): void
  runEnded(run: RunInfo, outcome: RunOutcome, durationMs: number): void
  /** Opens the status of a new Concurrent group. */
  group(): GroupLog
}
