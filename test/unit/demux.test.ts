import { PassThrough, Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { demuxStream } from '../../src/engine/demux'
import { Random } from '../../reliability/lib/random'

function frame(stream: 1 | 2, payload: Buffer): Buffer {
  const header = Buffer.alloc(8)
  header[0] = stream
  header.writeUInt32BE(payload.length, 4)
  return Buffer.concat([header, payload])
}

async function split(chunks: Buffer[]): Promise<{ out: string; err: string; parents: Set<ArrayBuffer> }> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const out: Buffer[] = []
  const err: Buffer[] = []
  const parents = new Set<ArrayBuffer>()
  stdout.on('data', (c: Buffer) => (out.push(c), parents.add(c.buffer as ArrayBuffer)))
  stderr.on('data', (c: Buffer) => (err.push(c), parents.add(c.buffer as ArrayBuffer)))
  await demuxStream(Readable.from(chunks, { objectMode: false }), stdout, stderr)
  return { out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString(), parents }
}

describe('demuxStream', () => {
  it('splits frames however the engine cuts them, passing views of its chunks on', async () => {
    const r = new Random(5)
    const frames: Buffer[] = []
    let out = ''
    let err = ''
    for (let i = 0; i < 300; i++) {
      const text = `line ${i} ${'x'.repeat(r.int(0, 3000))}\n`
      const stream = r.next() < 0.3 ? 2 : 1
      if (stream === 1) out += text
      else err += text
      frames.push(frame(stream, Buffer.from(text)))
    }
    frames.push(frame(1, Buffer.alloc(0)))
    const all = Buffer.concat(frames)
    for (const size of [1, 3, 8, 9, 100, 4096, 65536, all.length]) {
      const chunks: Buffer[] = []
      for (let i = 0; i < all.length; i += size) chunks.push(Buffer.from(all.subarray(i, i + size)))
      const got = await split(chunks)
      expect(got.out).toBe(out)
      expect(got.err).toBe(err)
      // Every piece passed on is a view of one of the chunks: nothing was copied.
      const sources = new Set(chunks.map((c) => c.buffer))
      for (const parent of got.parents) expect(sources.has(parent)).toBe(true)
    }
  })

  it('passes a stream that is not multiplexed (a TTY) to stdout as it is', async () => {
    const got = await split([Buffer.from('plain text from a tty\n'), Buffer.from('more\n')])
    expect(got.out).toBe('plain text from a tty\nmore\n')
    expect(got.err).toBe('')
  })

  it('rejects when the source closes before its end', async () => {
    const source = new Readable({ read() {} })
    const ended = demuxStream(source, new PassThrough(), new PassThrough())
    source.push(frame(1, Buffer.from('partial')))
    source.destroy()
    await expect(ended).rejects.toThrow(/closed the output stream/)
  })
})
