import { LineStatus } from './status'
import type { LogStream } from './stream'
import { TextSink } from './text'

/** `LEVRT_LOG=plain`: prefixed lines without colour; the status as a line when counts change. */
export function plainSink(out: LogStream): TextSink {
  return new TextSink('plain', new LineStatus(out), false)
}
