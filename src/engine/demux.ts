import type { Readable, Writable } from 'node:stream'

const HEADER = 8
const STDERR = 2

/**
 * Splits the engine's multiplexed output (frames of an 8-byte header: stream, three zero bytes,
 * payload size as big-endian u32; then the payload) into stdout and stderr. Payloads are passed
 * on as views of the engine's chunks, never copied: a tool that prints gigabytes costs the host
 * the socket's own buffers only (dockerode's demuxer copied what was left of each chunk once per
 * frame). A frame split across chunks is passed on in pieces. A stream that is not multiplexed
 * (a TTY's) goes to stdout as it is. Resolves at the source's end; rejects if it errs, or closes
 * before its end (an engine that dies mid-stream may only close the socket).
 */
export function demuxStream(source: Readable, stdout: Writable, stderr: Writable): Promise<void> {
  const header = Buffer.alloc(HEADER)
  let have = 0 // header bytes read so far
  let left = 0 // payload bytes of the current frame still to come
  let target = stdout
  let raw = false
  source.on('data', (chunk: Buffer) => {
    if (raw) return void stdout.write(chunk)
    let p = 0
    while (p < chunk.length) {
      if (left > 0) {
        const n = Math.min(left, chunk.length - p)
        target.write(chunk.subarray(p, p + n))
        p += n
        left -= n
        continue
      }
      const n = Math.min(HEADER - have, chunk.length - p)
      chunk.copy(header, have, p, p + n)
      have += n
      p += n
      if (have < HEADER) return
      have = 0
      if (header[0] > STDERR || header[1] !== 0 || header[2] !== 0 || header[3] !== 0) {
        raw = true
        stdout.write(Buffer.from(header))
        if (p < chunk.length) stdout.write(chunk.subarray(p))
        return
      }
      target = header[0] === STDERR ? stderr : stdout
      left = header.readUInt32BE(4)
    }
  })
  return new Promise((resolve, reject) => {
    source.once('end', resolve)
    source.once('error', reject)
    source.once('close', () => reject(new Error('the engine closed the output stream before its end')))
  })
}
