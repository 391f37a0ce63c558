import { LiveStatus } from './status'
import type { LogStream } from './stream'
import { TextSink } from './text'
import { plainSink } from './plain'

/**
 * `LEVRT_LOG=pretty`: coloured prefixes and a live status line redrawn in place. Only on a
 * terminal: piped into a file or CI, escape codes and `\r` redraws would be noise, so it is plain.
 */
export function prettySink(out: LogStream): TextSink {
  if (!out.isTTY) return plainSink(out)
  return new TextSink('pretty', new LiveStatus(out, colorWanted()), colorWanted())
}

/** The common conventions: NO_COLOR turns colour off (https://no-color.org), a dumb terminal has none. */
function colorWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return !env.NO_COLOR && env.TERM !== 'dumb'
}
