import { colorFor, DIM, GREEN, paint, RED, YELLOW } from './colors'
import { RunLines, type StreamName } from './lines'
import type { LogMode, LogSink, RunInfo, RunOutcome } from './sink'
import type { StatusDisplay } from './status'
import { errorLine, formatDuration } from './stream'

/** Names are padded to the longest seen so far, up to this, so the `|` column mostly lines up. */
const MAX_PAD = 24

/**
 * Compose-like lines, `nmap-1 | ...`, with or without colour: what `pretty` and `plain` share.
 * stdout lines have `|`, stderr lines `!`; the run's start and end lines are marked `--`.
 */
export class TextSink implements LogSink {
  private readonly lines = new RunLines()
  private width = 0

  constructor(
    readonly mode: Exclude<LogMode, 'json' | 'quiet'>,
    private readonly display: StatusDisplay,
    private readonly color: boolean,
  ) {}

  runStarted(run: RunInfo): void {
    this.print(run, '--', `started ${run.image}, run ${run.id}`, DIM)
  }

  output(run: RunInfo, stream: StreamName, chunk: Buffer): void {
    const lines = this.lines.push(run.id, stream, chunk)
    if (lines.length)
      this.printOutput(
        run,
        lines.map((l) => [stream, l]),
      )
  }

  runEnded(run: RunInfo, outcome: RunOutcome, durationMs: number): void {
    const rest = this.lines.end(run.id)
    if (rest.length) this.printOutput(run, rest)
    const took = formatDuration(durationMs)
    if ('error' in outcome)
      return this.print(run, '--', `failed after ${took}: ${errorLine(outcome.error)}`, RED)
    if (outcome.reused)
      return this.print(run, '--', `reused an earlier run (exit ${outcome.exitCode}), nothing ran`, DIM)
    const oom = outcome.oomKilled ? ' (killed: out of memory)' : ''
    this.print(
      run,
      '--',
      `exited ${outcome.exitCode}${oom} after ${took}`,
      outcome.exitCode === 0 && !oom ? GREEN : RED,
    )
  }

  group() {
    return this.display.open()
  }

  private printOutput(run: RunInfo, lines: ReadonlyArray<readonly [StreamName, string]>): void {
    const prefix = this.prefix(run)
    const out = lines.map(
      ([stream, line]) =>
        `${prefix} ${this.mark(stream === 'stdout' ? '|' : '!', stream === 'stderr' ? YELLOW : undefined)} ${line}\n`,
    )
    this.display.print(out.join(''))
  }

  private print(run: RunInfo, mark: string, text: string, code: number): void {
    this.display.print(
      `${this.prefix(run)} ${this.mark(mark, DIM)} ${this.color ? paint(code, text) : text}\n`,
    )
  }

  private prefix(run: RunInfo): string {
    this.width = Math.min(Math.max(this.width, run.name.length), MAX_PAD)
    const name = run.name.padEnd(this.width)
    return this.color ? paint(colorFor(run.name), name) : name
  }

  private mark(mark: string, code: number | undefined): string {
    return this.color && code !== undefined ? paint(code, mark) : mark
  }
}
