import { RunLines, type StreamName } from './lines'
import type { GroupCounts, GroupLog, LogSink, RunInfo, RunOutcome } from './sink'
import { writeTo, type LogStream } from './stream'

/** An error as data: its class, its stable `code` when it is a LevError, and its message. */
function errorData(err: unknown): { name: string; code?: string; message: string } {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) }
  const code = (err as { code?: unknown }).code
  return { name: err.name, ...(typeof code === 'string' ? { code } : {}), message: err.message }
}

/**
 * `LEVRT_LOG=json`: one JSON object per line per event, for scripts and CI. Every object has
 * `t` (ISO time) and `event`: `start`, `output` (one line), `end`, `group` (counts changed),
 * `group-end`. Run events carry `run` (the run id) and `name`.
 */
export class JsonSink implements LogSink {
  readonly mode = 'json'
  private readonly lines = new RunLines()
  private groups = 0

  constructor(private readonly out: LogStream) {}

  runStarted(run: RunInfo): void {
    this.emit('start', run, { image: run.image, collection: run.collection })
  }

  output(run: RunInfo, stream: StreamName, chunk: Buffer): void {
    for (const line of this.lines.push(run.id, stream, chunk)) this.emit('output', run, { stream, line })
  }

  runEnded(run: RunInfo, outcome: RunOutcome, durationMs: number): void {
    for (const [stream, line] of this.lines.end(run.id)) this.emit('output', run, { stream, line })
    const how =
      'error' in outcome
        ? { error: errorData(outcome.error) }
        : {
            exitCode: outcome.exitCode,
            oomKilled: outcome.oomKilled,
            ...(outcome.reused ? { reused: true } : {}),
          }
    this.emit('end', run, { ...how, durationMs })
  }

  group(): GroupLog {
    const group = ++this.groups
    const since = Date.now()
    let last = ''
    let ended = false
    const line = (event: string, counts: GroupCounts) => ({
      t: new Date().toISOString(),
      event,
      group,
      ...counts,
      elapsedMs: Date.now() - since,
    })
    return {
      update: (counts) => {
        const key = JSON.stringify(counts)
        if (ended || key === last) return
        last = key
        this.write(line('group', counts))
      },
      end: (counts) => {
        if (ended) return
        ended = true
        this.write(line('group-end', counts))
      },
    }
  }

  private emit(event: string, run: RunInfo, fields: object): void {
    this.write({ t: new Date().toISOString(), event, run: run.id, name: run.name, ...fields })
  }

  private write(obj: object): void {
    writeTo(this.out, `${JSON.stringify(obj)}\n`)
  }
}
