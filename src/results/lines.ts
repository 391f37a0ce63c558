import type { Readable } from 'node:stream'

/** A line that could not be read: too long. Its bytes are not kept. */
export interface UnreadLine {
  readonly problem: string
}

const NEWLINE = 10

/**
 * Calls `onLine` for each complete (newline-terminated) line's bytes, numbered from 1; resolves
 * true if the stream ended in the middle of a line. A line is held once, joined from the chunks
 * it came in (a copy: the chunks are not pinned by what is kept of the line). A line past
 * `maxBytes` is dropped as it streams in: a writer that never ends its line cannot fill the
 * host's memory. Blank lines are skipped.
 */
export function readLines(
  stream: Readable,
  maxBytes: number,
  onLine: (line: Buffer | UnreadLine, n: number) => void,
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let pieces: Buffer[] = []
    let bytes = 0
    let problem: string | undefined
    let n = 0
    const take = (part: Buffer) => {
      if (problem !== undefined) return
      bytes += part.length
      if (bytes > maxBytes) {
        problem = `the line is over ${maxBytes} bytes: not read`
        pieces = []
        return
      }
      if (part.length > 0) pieces.push(part)
    }
    const endLine = () => {
      n++
      if (problem !== undefined) onLine({ problem }, n)
      else if (!blank(pieces)) onLine(Buffer.concat(pieces, bytes), n)
      pieces = []
      bytes = 0
      problem = undefined
    }
    stream.on('data', (chunk: Buffer) => {
      try {
        let start = 0
        // A newline byte never occurs inside a UTF-8 sequence: splitting bytes at it is safe.
        for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
          take(chunk.subarray(start, nl))
          endLine()
          start = nl + 1
        }
        if (start < chunk.length) take(chunk.subarray(start))
      } catch (err) {
        stream.destroy(err as Error)
      }
    })
    stream.once('end', () => resolve(bytes > 0))
    stream.once('error', reject)
  })
}

/** Only spaces, tabs and carriage returns (or nothing). */
function blank(pieces: readonly Buffer[]): boolean {
  for (const piece of pieces)
    for (const c of piece)
      if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0b && c !== 0x0c) return false
  return true
}
