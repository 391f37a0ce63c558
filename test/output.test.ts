import { PassThrough, type Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { Cr } from '../src/index'
import { Channel, REPLAY_BYTES, UNREAD_BYTES } from '../src/output-channel'
import { embeddedStoreLeavingNothing } from './support/env'

embeddedStoreLeavingNothing()

const MiB = 1 << 20
const MARKER = /\n?\[levrt: (\d+) bytes of (stdout|stderr) dropped here: the reader fell behind\]\n/g

/** What a reader got: the tool's bytes with the markers taken out, and the bytes they stand for. */
function unmark(received: Buffer): { data: Buffer; dropped: number; markers: number } {
  const text = received.toString('latin1')
  let dropped = 0
  let markers = 0
  const data = text.replace(MARKER, (_, n: string) => {
    dropped += Number(n)
    markers++
    return ''
  })
  return { data: Buffer.from(data, 'latin1'), dropped, markers }
}

/** Reads a stream to its end. */
async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

describe('a slow reader never makes the host buffer the whole output', () => {
  it('keeps a paused subscriber to a bounded queue while the tool prints hundreds of MiB', async () => {
    const SIZE = 384 * MiB
    // Zeros, then a last line: the reader must still get the end of the output after the gap.
    const task = await new Cr('levrt/busybox', {
      cmd: ['sh', '-c', `head -c ${SIZE} /dev/zero; echo; echo the end`],
    }).start()
    const stdout = task.stdout
    const received: Buffer[] = []
    const ended = new Promise((resolve) => stdout.once('end', resolve))
    await new Promise<void>((resolve) =>
      stdout.on('data', (chunk: Buffer) => {
        received.push(chunk)
        // Paused in the handler itself, so no chunk is emitted between reading and pausing.
        if (received.length === 1) {
          stdout.pause()
          resolve()
        }
      }),
    )
    const base = process.memoryUsage().rss
    let peak = base
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20)
    const started = Date.now()
    const doc = await task.done()
    const seconds = (Date.now() - started) / 1000
    clearInterval(sampler)
    peak = Math.max(peak, process.memoryUsage().rss)
    expect(doc.exitCode).toBe(0)
    const growth = (peak - base) / MiB
    console.log(
      `paused reader: ${SIZE / MiB} MiB printed in ${seconds.toFixed(1)} s, ` +
        `host RSS grew ${growth.toFixed(1)} MiB`,
    )
    // Without the bound the host grew by twice the output (794 MiB); with it, 4 MiB per stream
    // plus the garbage of chunks read and dropped that GC has not reclaimed yet (60 to 90 MiB).
    expect(growth).toBeLessThan(160)

    stdout.resume()
    await ended
    const rest = unmark(Buffer.concat(received))
    // Every byte is accounted for: read, or said to be dropped; the tool's last bytes arrive.
    expect(rest.data.length + rest.dropped).toBe(SIZE + '\nthe end\n'.length)
    expect(rest.markers).toBeGreaterThanOrEqual(1)
    expect(rest.dropped).toBeGreaterThan(SIZE - 2 * UNREAD_BYTES)
    expect(rest.data.length).toBeLessThanOrEqual(UNREAD_BYTES + 256 * 1024)
    expect(rest.data.subarray(-9).toString()).toBe('\nthe end\n')
  }, 240_000)

  it('gives a reader that keeps up every byte, in order, and no marker', async () => {
    const task = await new Cr('levrt/busybox', { cmd: ['seq', '1', '3000000'] }).start()
    const [out, doc] = await Promise.all([readAll(task.stdout), task.done()])
    expect(doc.exitCode).toBe(0)
    const lines = out.toString('utf8').split('\n')
    expect(lines).toHaveLength(3_000_001)
    expect(lines.pop()).toBe('')
    lines.forEach((line, i) => {
      if (line !== String(i + 1)) expect([i, line]).toEqual([i, String(i + 1)])
    })
  }, 120_000)
})

describe('Channel: the bounded queue of one stream', () => {
  it('keeps nothing for a reader that destroyed its stream, and does not fail on later output', async () => {
    const source = new PassThrough()
    const channel = new Channel('stdout', source, () => undefined)
    const reader = channel.subscribe()
    const first = new Promise<Buffer>((resolve) => reader.once('data', resolve))
    source.write('one\n')
    expect((await first).toString()).toBe('one\n')
    reader.destroy()
    source.write('two\n')
    source.end()
    await sleep(10)
    expect([channel.subscribe() === reader, reader.destroyed, reader.readableLength]).toEqual([true, true, 0])
  })

  const chunk = (byte: number, size: number) => Buffer.alloc(size, byte)

  it('replays the last REPLAY_BYTES to a late subscriber, after a marker counting what went', async () => {
    const source = new PassThrough()
    const channel = new Channel('stderr', source, () => undefined)
    for (let i = 0; i < 6; i++) source.write(chunk(0x61 + i, REPLAY_BYTES / 4))
    source.end()
    await sleep(10)
    const got = unmark(await readAll(channel.subscribe()))
    expect([got.dropped, got.markers]).toEqual([REPLAY_BYTES / 2, 1])
    expect(got.data.toString('latin1')).toBe(
      ['c', 'd', 'e', 'f'].map((c) => c.repeat(REPLAY_BYTES / 4)).join(''),
    )
    expect((await readAll(channel.subscribe())).length).toBe(0) // one subscriber, already read to the end
  })

  it('drops the oldest unread chunks of a stalled reader, marks the gap on a line of its own', async () => {
    const source = new PassThrough()
    const seen: Buffer[] = []
    const channel = new Channel('stdout', source, (c) => seen.push(c))
    const reader = channel.subscribe()
    const first = new Promise<Buffer>((resolve) => reader.once('data', resolve))
    source.write('line one\n')
    expect((await first).toString()).toBe('line one\n')
    reader.pause()
    source.write('partial')
    // 16 chunks of '0', '1', ... '?': the reader holds one past its highWaterMark, the queue the newest.
    const size = UNREAD_BYTES / 8
    for (let i = 0; i < 16; i++) source.write(chunk(0x30 + i, size))
    source.write('last\n')
    source.end()
    await sleep(10)
    const rest = (await readAll(reader)).toString('latin1')
    // The tap sees everything (the live log is never cut short); the reader, a bounded window.
    expect(Buffer.concat(seen).length).toBe(9 + 7 + 16 * size + 5)
    const kept = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => String.fromCharCode(0x30 + from + i).repeat(size)).join('')
    const marker = `\n[levrt: ${8 * size} bytes of stdout dropped here: the reader fell behind]\n`
    expect(rest === `partial${kept(0, 1)}${marker}${kept(9, 16)}last\n`).toBe(true)
  })
})
