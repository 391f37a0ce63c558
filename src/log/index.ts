import { JsonSink } from './json'
import { plainSink } from './plain'
import { prettySink } from './pretty'
import { quietSink } from './quiet'
import type { LogMode, LogSink } from './sink'
import type { LogStream } from './stream'

export type { GroupCounts, GroupLog, LogMode, LogSink, RunInfo, RunOutcome } from './sink'
export type { LogStream } from './stream'

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

// One sink per mode for the whole process: runs and groups share its partial lines and status line.
const sinks = new Map<LogMode, LogSink>()
const warned = new Set<string>()

/**
 * The sink `LEVRT_LOG` asks for (read when a run or group starts). Unset: quiet, the library
 * prints nothing unless asked. An unknown value: quiet too, with one warning per value.
 */
export function logFromEnv(env: NodeJS.ProcessEnv = process.env): LogSink {
  const value = env.LEVRT_LOG?.trim().toLowerCase() ?? ''
  if (value === '' || value === 'quiet') return quietSink
  const mode = MODES.find((m) => m === value)
  if (!mode) {
    if (!warned.has(value)) {
      warned.add(value)
      process.emitWarning(`LEVRT_LOG=${env.LEVRT_LOG} is not one of ${MODES.join(', ')}; printing nothing`)
    }
    return quietSink
  }
  let sink = sinks.get(mode)
  if (!sink) sinks.set(mode, (sink = createSink(mode)))
  return sink
}
