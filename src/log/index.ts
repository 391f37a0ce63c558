import { quietSink } from './quiet'
import type { LogSink } from './sink'

export type { GroupCounts, GroupLog, LogMode, LogSink, RunInfo, RunOutcome } from './sink'

/** The sink `LEVRT_LOG` asks for (read when a run starts). Placeholder: quiet until the modes land. */
export function logFromEnv(_env: NodeJS.ProcessEnv = process.env): LogSink {
  return quietSink
}
