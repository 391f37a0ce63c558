import type { GroupLog, LogSink } from './sink'

const NO_GROUP: GroupLog = { update: () => undefined, end: () => undefined }

/** Prints nothing: the library's default. */
export const quietSink: LogSink = {
  mode: 'quiet',
  runStarted: () => undefined,
  output: () => undefined,
  runEnded: () => undefined,
  group: () => NO_GROUP,
}
