import type { Readable } from 'node:stream'

/** A line that could not be read as text: too long, or not UTF-8. Its bytes are not kept. */
export interface UnreadLine {
  readonly problem: string
}

const NEWLINE = 10

/**
 * Calls `onLine` for each complete (newline-terminated) line, numbered from 1; resolves true if
 * the stream ended in the middle of a line. Bytes are decoded strictly (invalid UTF-8 makes the
 * line an `UnreadLine`, not text with U+FFFD in it) and as they arrive, so a long line is held
 * once as text pieces and once joined, never also as bytes. A line past `maxBytes` is dropped as
 * it streams in: a writer that never ends its line cannot fill the host's memory.
 */
export function readLines(
  stream: Readable,
  maxBytes: number,
  onLine: (line: string | UnreadLine, n: number) => void,
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let decoder = new TextDecoder('utf-8', { fatal: true })
    let pieces: string[] = []
    let bytes = 0
    let problem: string | undefined
    let n = 0
    // Adds bytes of the current line; `last` ends it (flushing the decoder).
    const take = (part: Buffer, last: boolean) => {
      if (problem !== undefined) return
      bytes += part.length
      if (bytes > maxBytes) {
        problem = `the line is over ${maxBytes} bytes: not read`
        pieces = []
        return
      }
      try {
        const text = decoder.decode(part, { stream: !last })
        if (text.length > 0) pieces.push(text)
      } catch {
        problem = 'the line is not UTF-8'
        pieces = []
      }
    }
    const endLine = () => {
      n++
      // A new decoder: one that threw is left mid-sequence.
      if (problem !== undefined) {
        decoder = new TextDecoder('utf-8', { fatal: true })
        onLine({ problem }, n)
      } else {
        const line = pieces.length === 1 ? pieces[0] : pieces.join('')
        if (line.trim() !== '') onLine(line, n)
      }
      pieces = []
      bytes = 0
      problem = undefined
    }
    stream.on('data', (chunk: Buffer) => {
      try {
        let start = 0
        // A newline byte never occurs inside a UTF-8 sequence: splitting bytes at it is safe.
        for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
          take(chunk.subarray(start, nl), true)
          endLine()
          start = nl + 1
        }
        if (start < chunk.length) take(chunk.subarray(start), false)
      } catch (err) {
        stream.destroy(err as Error)
      }
    })
    stream.once('end', () => resolve(bytes > 0))
    stream.once('error', reject)
  })
}
