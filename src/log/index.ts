import { JsonSink } from './json'
import { plainSink } from './plain'
import { prettySink } from './pretty'
import { quietSink } from './quiet'
import type { LogMode, LogSink } from './sink'
import type { LogStream } from './stream'

export type { GroupCounts, GroupLog, LogMode, LogSink, RunInfo, RunOutcome } from './sink'
export { ignoreClosedReader, type LogStream } from './stream'

const MODES: readonly LogMode[] = ['pretty', 'plain', 'json', 'quiet']

/** A sink of one mode writing to `out` (stderr by default). */
export function createSink(mode: LogMode, out: LogStream = process.stderr): LogSink {
  switch (mode) {
    case 'pretty':
      return prettySink(out)
    case 'plain':
      return plainSink(out)
    case 'json':
      return new JsonSink(out)
    case 'quiet':
      return quietSink
  }
}

/**
 * One sink per mode for a context: its runs and groups share the sink's partial lines and
 * status line.
 */
export class LogSinks {
  private readonly sinks = new Map<LogMode, LogSink>()
  private readonly warned = new Set<string>()

  /** The sink of `mode`, made on first use. */
  of(mode: LogMode): LogSink {
    let sink = this.sinks.get(mode)
    if (!sink) this.sinks.set(mode, (sink = createSink(mode)))
    return sink
  }

  /**
   * The sink `LEVRT_LOG` asks for (read when a run or group starts). Unset: quiet, the library
   * prints nothing unless asked. An unknown value: quiet too, with one warning per value.
   */
  fromEnv(env: NodeJS.ProcessEnv = process.env): LogSink {
    const value = env.LEVRT_LOG?.trim().toLowerCase() ?? ''
    if (value === '' || value === 'quiet') return quietSink
    const mode = MODES.find((m) => m === value)
    if (mode) return this.of(mode)
    if (!this.warned.has(value)) {
      this.warned.add(value)
      process.emitWarning(`LEVRT_LOG=${env.LEVRT_LOG} is not one of ${MODES.join(', ')}; printing nothing`)
    }
    return quietSink
  }
}
