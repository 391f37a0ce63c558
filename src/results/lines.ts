import type { Readable } from 'node:stream'
import { LineBuffer } from './line-buffer'

/** A line that could not be read: too long. Its bytes are not kept. */
export interface UnreadLine {
  readonly problem: string
}

const NEWLINE = 10

/**
 * Calls `onLine` for each complete (newline-terminated) line's bytes, numbered from 1; resolves
 * true if the stream ended in the middle of a line. A line is held once (see LineBuffer: the
 * chunks it came in are not pinned by what is kept of it); `size`, the stream's length when
 * known, sizes a long line's buffer at once. A line past `maxBytes` is dropped as it streams
 * in: a writer that never ends its line cannot fill the host's memory. Blank lines are skipped.
 */
export function readLines(
  stream: Readable,
  maxBytes: number,
  onLine: (line: Buffer | UnreadLine, n: number) => void,
  size?: number,
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let read = 0 // bytes of the stream before the current line
    const line = new LineBuffer((atLeast) =>
      Math.min(maxBytes, size === undefined ? atLeast * 2 : Math.max(atLeast, size - read)),
    )
    let problem: string | undefined
    let n = 0
    const take = (part: Buffer) => {
      if (problem !== undefined) return
      if (line.length + part.length > maxBytes) {
        problem = `the line is over ${maxBytes} bytes: not read`
        line.clear()
        return
      }
      line.add(part)
    }
    const endLine = (lineBytes: number) => {
      n++
      if (problem !== undefined) onLine({ problem }, n)
      else if (!line.blank()) onLine(line.take(), n)
      line.clear()
      problem = undefined
      read += lineBytes
    }
    let pending = 0 // bytes of the current line so far, newline excluded, whether kept or not
    stream.on('data', (chunk: Buffer) => {
      try {
        let start = 0
        // A newline byte never occurs inside a UTF-8 sequence: splitting bytes at it is safe.
        for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
          take(chunk.subarray(start, nl))
          endLine(pending + nl - start + 1)
          pending = 0
          start = nl + 1
        }
        if (start < chunk.length) {
          take(chunk.subarray(start))
          pending += chunk.length - start
        }
      } catch (err) {
        stream.destroy(err as Error)
      }
    })
    stream.once('end', () => resolve(pending > 0))
    stream.once('error', reject)
  })
}
