import { StringDecoder } from 'node:string_decoder'

/**
 * The longest line kept whole. A tool that prints megabytes without a newline must neither hold
 * that much memory nor flood a terminal with one line; the rest of such a line is counted, not kept.
 */
export const MAX_LINE = 8192

/** One stream's chunks as lines. A partial line is kept until its newline or `end()`. */
export class LineSplitter {
  // A UTF-8 character may be split across two chunks.
  private readonly decoder = new StringDecoder('utf8')
  private partial = ''
  private cut = 0

  push(chunk: Buffer): string[] {
    const text = this.decoder.write(chunk)
    const lines: string[] = []
    let from = 0
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
      this.append(text.slice(from, nl))
      lines.push(this.take())
      from = nl + 1
    }
    this.append(text.slice(from))
    return lines
  }

  /** The last line, if the stream ended without a newline. */
  end(): string[] {
    this.append(this.decoder.end())
    return this.partial || this.cut ? [this.take()] : []
  }

  private append(text: string): void {
    const room = MAX_LINE - this.partial.length
    if (text.length <= room) {
      this.partial += text
    } else {
      this.partial += text.slice(0, room)
      this.cut += text.length - room
    }
  }

  private take(): string {
    // A progress bar redraws with `\r`: keep what a terminal would show last, and no bare `\r`
    // that would send the cursor back over the prefix.
    let line = this.partial.replace(/\r+$/, '')
    const cr = line.lastIndexOf('\r')
    if (cr !== -1) line = line.slice(cr + 1)
    if (this.cut) line += ` … [${this.cut} more characters]`
    this.partial = ''
    this.cut = 0
    return line
  }
}

export type StreamName = 'stdout' | 'stderr'

/** Keep this many ended runs in mind, for a chunk that arrives after its run ended. */
const REMEMBER_ENDED = 256

/** Line splitters per run and stream, for a sink that hears about many runs at once. */
export class RunLines {
  private readonly open = new Map<string, { stdout: LineSplitter; stderr: LineSplitter }>()
  private readonly ended = new Set<string>()

  push(runId: string, stream: StreamName, chunk: Buffer): string[] {
    if (this.ended.has(runId)) {
      // Late output of an ended run: print it whole now, nothing would flush it later.
      const splitter = new LineSplitter()
      return [...splitter.push(chunk), ...splitter.end()]
    }
    let pair = this.open.get(runId)
    if (!pair) this.open.set(runId, (pair = { stdout: new LineSplitter(), stderr: new LineSplitter() }))
    return pair[stream].push(chunk)
  }

  /** The run ended: its partial lines, stdout's first. */
  end(runId: string): Array<[StreamName, string]> {
    const pair = this.open.get(runId)
    this.open.delete(runId)
    this.ended.add(runId)
    if (this.ended.size > REMEMBER_ENDED) this.ended.delete(this.ended.values().next().value!)
    if (!pair) return []
    return [
      ...pair.stdout.end().map((l) => ['stdout', l] as [StreamName, string]),
      ...pair.stderr.end().map((l) => ['stderr', l] as [StreamName, string]),
    ]
  }
}
