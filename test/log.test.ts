import { afterEach, describe, expect, it, vi } from 'vitest'
import { Concurrent, Cr } from '../src/index'
import { createSink, LogSinks, type LogStream, type RunInfo } from '../src/log'
import { LineSplitter, MAX_LINE } from '../src/log/lines'
import { quietSink } from '../src/log/quiet'
import { PLAIN_EVERY_MS } from '../src/log/status'
import { embeddedStoreLeavingNothing } from './support/env'

/** A stream that keeps what is written; a terminal when `tty`. */
function capture(tty = false): LogStream & { text(): string; writes: string[] } {
  const writes: string[] = []
  return {
    isTTY: tty,
    columns: 100,
    writes,
    write: (s: string) => writes.push(s),
    text: () => writes.join(''),
  }
}
const info = (name: string, id = `id-${name}`): RunInfo => ({
  id,
  name,
  image: 'levrt/busybox',
  collection: 'levrt/run@1.0',
})
const b = (s: string) => Buffer.from(s)
const ESC = '\x1b['
const counts = (done: number, running: number, queued: number, failed = 0) => ({
  done,
  running,
  queued,
  failed,
  total: done + running + queued + failed,
})

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
  vi.unstubAllEnvs()
})

describe('line splitting', () => {
  it('keeps a partial line until its newline or the end, across chunks and UTF-8 characters', () => {
    const s = new LineSplitter()
    expect(s.push(b('one\ntw'))).toEqual(['one'])
    const euro = Buffer.from('€') // 3 bytes, split across chunks
    expect(s.push(Buffer.concat([b('o\r\nthr'), euro.subarray(0, 1)]))).toEqual(['two'])
    expect(s.push(Buffer.concat([euro.subarray(1), b('ee\n10%\r50%\r100%\n')]))).toEqual(['thr€ee', '100%'])
    expect(s.push(b('last'))).toEqual([])
    expect(s.end()).toEqual(['last'])
    expect(s.end()).toEqual([])
  })

  it('caps a line, counting what it drops', () => {
    const s = new LineSplitter()
    s.push(b('x'.repeat(MAX_LINE - 10)))
    expect(s.push(b(`${'y'.repeat(110)}\nnext\n`))).toEqual([
      `${'x'.repeat(MAX_LINE - 10)}${'y'.repeat(10)} … [100 more characters]`,
      'next',
    ])
    expect(s.push(b('z\n'))).toEqual(['z'])
  })
})

describe('plain', () => {
  it('prefixes each line with the run name, stderr marked, partial lines held per run and stream', () => {
    const out = capture()
    const sink = createSink('plain', out)
    const [a, z] = [info('busybox-1'), info('nmap-12')]
    sink.runStarted(a)
    sink.runStarted(z)
    sink.output(a, 'stdout', b('hello\nwor'))
    sink.output(z, 'stdout', b('scan\n'))
    sink.output(a, 'stderr', b('oops\n'))
    sink.output(a, 'stdout', b('ld\nno newline'))
    sink.runEnded(a, { exitCode: 0, oomKilled: false }, 1234)
    sink.runEnded(z, { exitCode: 137, oomKilled: true }, 80)
    expect(out.text()).not.toContain(ESC)
    expect(out.text().split('\n')).toEqual([
      'busybox-1 -- started levrt/busybox, run id-busybox-1',
      'nmap-12   -- started levrt/busybox, run id-nmap-12',
      'busybox-1 | hello',
      'nmap-12   | scan',
      'busybox-1 ! oops',
      'busybox-1 | world',
      'busybox-1 | no newline',
      'busybox-1 -- exited 0 after 1.2s',
      'nmap-12   -- exited 137 (killed: out of memory) after 80ms',
      '',
    ])
  })

  it('says when an earlier run stood in', () => {
    const out = capture()
    createSink('plain', out).runEnded(info('x-2'), { exitCode: 0, oomKilled: false, reused: true }, 3)
    expect(out.text()).toBe('x-2 -- reused an earlier run (exit 0), nothing ran\n')
  })

  it('says how a run failed, in one line', () => {
    const out = capture()
    createSink('plain', out).runEnded(info('x-1'), { error: new TypeError('bad\nsecond line') }, 65_000)
    expect(out.text()).toBe('x-1 -- failed after 1m05s: TypeError: bad\n')
  })

  it('prints the status as a line when counts change, at most every 2 s, and the last one at the end', () => {
    vi.useFakeTimers()
    const out = capture()
    const group = createSink('plain', out).group()
    group.update(counts(0, 1, 2))
    group.update(counts(0, 1, 2)) // no change: nothing
    group.update(counts(1, 1, 1))
    group.update(counts(2, 1, 0))
    expect(out.writes).toEqual(['concurrent: 0 done, 1 running, 2 queued, 0 failed, 3 total (0ms)\n'])
    vi.advanceTimersByTime(PLAIN_EVERY_MS)
    expect(out.writes[1]).toBe('concurrent: 2 done, 1 running, 0 queued, 0 failed, 3 total (2.0s)\n')
    group.end(counts(3, 0, 0))
    vi.advanceTimersByTime(10 * PLAIN_EVERY_MS)
    expect(out.writes).toHaveLength(3)
    expect(out.writes[2]).toBe('concurrent: 3 done, 0 running, 0 queued, 0 failed, 3 total (2.0s, settled)\n')
  })
})

describe('pretty', () => {
  it('is plain when the stream is not a terminal', () => {
    const out = capture(false)
    const sink = createSink('pretty', out)
    expect(sink.mode).toBe('plain')
    sink.output(info('a-1'), 'stdout', b('hi\n'))
    expect(out.text()).toBe('a-1 | hi\n')
  })

  it('colours names, the same name always alike, and marks stderr', () => {
    vi.stubEnv('NO_COLOR', '')
    vi.stubEnv('TERM', 'xterm-256color')
    const out = capture(true)
    const sink = createSink('pretty', out)
    sink.output(info('nmap-1'), 'stdout', b('a\n'))
    sink.output(info('nmap-2'), 'stderr', b('b\n'))
    sink.output(info('nmap-1'), 'stdout', b('c\n'))
    const [first, second, third] = out.writes
    expect(first).toMatch(/^\x1b\[\d+mnmap-1\x1b\[0m \| a\n$/)
    expect(third).toBe(first.replace(' a\n', ' c\n'))
    expect(second).toMatch(/^\x1b\[\d+mnmap-2\x1b\[0m \x1b\[33m!\x1b\[0m b\n$/)
  })

  it('keeps a live status line under the output, redrawn in place and throttled', () => {
    vi.useFakeTimers()
    const out = capture(true)
    const sink = createSink('pretty', out)
    const group = sink.group()
    group.update(counts(0, 2, 5))
    expect(out.writes).toHaveLength(1)
    expect(out.writes[0]).toMatch(
      /^\r\x1b\[2K.*concurrent: 0 done, 2 running, 5 queued, 0 failed, 7 total \(0ms\)/,
    )
    // Output: the status is cleared, the line printed, the status drawn again, in one write.
    sink.output(info('a-1'), 'stdout', b('found\n'))
    expect(out.writes[1]).toMatch(/^\r\x1b\[2K.*a-1.* \| found\n.*concurrent: 0 done/)
    // Many changes at once: one redraw at the end of the throttle window, with the latest counts.
    for (let i = 1; i <= 5; i++) group.update(counts(i, 2, 5 - i))
    expect(out.writes).toHaveLength(2)
    vi.advanceTimersByTime(100)
    expect(out.writes).toHaveLength(3)
    expect(out.writes[2]).toContain('5 done, 2 running, 0 queued')
    // The elapsed time moves on its own.
    vi.advanceTimersByTime(1000)
    expect(out.writes[3]).toContain('(1.0s)')
    group.end(counts(7, 0, 0))
    const last = out.writes.at(-1)!
    expect(last).toMatch(/^\r\x1b\[2K.*7 done, 0 running, 0 queued, 0 failed, 7 total \(1.1s, settled\)\n$/)
    vi.advanceTimersByTime(5000)
    expect(out.writes.at(-1)).toBe(last) // gone, nothing redrawn
    sink.output(info('a-1'), 'stdout', b('after\n'))
    expect(out.writes.at(-1)).not.toContain('\r')
  })
})

describe('json', () => {
  it('writes one object per line per event', () => {
    const out = capture()
    const sink = createSink('json', out)
    const run = info('busybox-3', 'abc')
    sink.runStarted(run)
    sink.output(run, 'stdout', b('one\ntwo'))
    sink.output(run, 'stderr', b('err\n'))
    sink.runEnded(run, { error: Object.assign(new Error('gone'), { code: 'LEV_ABORTED' }) }, 42)
    const group = sink.group()
    group.update(counts(0, 1, 0))
    group.end(counts(1, 0, 0))
    const events = out
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    for (const e of events) expect(e.t).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/)
    const strip = ({ t: _t, elapsedMs: _e, ...rest }: Record<string, unknown>) => rest
    expect(events.map(strip)).toEqual([
      { event: 'start', run: 'abc', name: 'busybox-3', image: 'levrt/busybox', collection: 'levrt/run@1.0' },
      { event: 'output', run: 'abc', name: 'busybox-3', stream: 'stdout', line: 'one' },
      { event: 'output', run: 'abc', name: 'busybox-3', stream: 'stderr', line: 'err' },
      { event: 'output', run: 'abc', name: 'busybox-3', stream: 'stdout', line: 'two' },
      {
        event: 'end',
        run: 'abc',
        name: 'busybox-3',
        error: { name: 'Error', code: 'LEV_ABORTED', message: 'gone' },
        durationMs: 42,
      },
      { event: 'group', group: 1, ...counts(0, 1, 0) },
      { event: 'group-end', group: 1, ...counts(1, 0, 0) },
    ])
  })
})

describe('LEVRT_LOG', () => {
  it('is quiet unless asked; an unknown mode is quiet with one warning', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
    const sinks = new LogSinks()
    const logFromEnv = (env: NodeJS.ProcessEnv) => sinks.fromEnv(env)
    expect(logFromEnv({})).toBe(quietSink)
    expect(logFromEnv({ LEVRT_LOG: 'quiet' })).toBe(quietSink)
    expect(logFromEnv({ LEVRT_LOG: 'loud' })).toBe(quietSink)
    expect(logFromEnv({ LEVRT_LOG: 'loud' })).toBe(quietSink)
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0][0])).toMatch(/LEVRT_LOG=loud .*pretty, plain, json, quiet/)
    expect(logFromEnv({ LEVRT_LOG: 'JSON' }).mode).toBe('json')
    expect(logFromEnv({ LEVRT_LOG: 'json' })).toBe(logFromEnv({ LEVRT_LOG: 'json' }))
  })

  it('quiet prints nothing', () => {
    const write = vi.spyOn(process.stderr, 'write')
    const run = info('q-1')
    quietSink.runStarted(run)
    quietSink.output(run, 'stdout', b('x\n'))
    quietSink.runEnded(run, { exitCode: 0, oomKilled: false }, 1)
    quietSink.group().end(counts(1, 0, 0))
    expect(write).not.toHaveBeenCalled()
  })
})

describe('a real run under LEVRT_LOG=json', () => {
  embeddedStoreLeavingNothing()

  it('reports its start, each output line and its end, and the group around it', async () => {
    vi.stubEnv('LEVRT_LOG', 'json')
    const written: string[] = []
    vi.spyOn(process.stderr, 'write').mockImplementation(
      (s: string | Uint8Array) => written.push(String(s)) > 0,
    )
    const script = 'echo out-1; echo err-1 >&2; printf "out-2\\nno newline"'
    const docs = await Concurrent.run({ limit: 1 }, (c) =>
      Promise.all([
        c.start(new Cr('levrt/busybox', { cmd: ['sh', '-c', script] })),
        c.start(new Cr('levrt/busybox', { cmd: ['true'] })),
      ]),
    )
    // Only the log's lines: anything else on stderr (a warning) is not ours to parse.
    const events = written
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{"t"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    const id = docs[0].filters._id
    const mine = events.filter((e) => e.run === id)
    expect(mine.map((e) => e.event)).toEqual(['start', 'output', 'output', 'output', 'output', 'end'])
    const lines = (stream: string) => mine.filter((e) => e.stream === stream).map((e) => e.line)
    expect(lines('stdout')).toEqual(['out-1', 'out-2', 'no newline'])
    expect(lines('stderr')).toEqual(['err-1'])
    expect(mine[0].name).toMatch(/^busybox-\d+$/)
    expect(mine.at(-1)).toMatchObject({ exitCode: 0, oomKilled: false })
    expect(events.filter((e) => e.run === docs[1].filters._id).map((e) => e.event)).toEqual(['start', 'end'])
    const groups = events.filter((e) => String(e.event).startsWith('group'))
    expect(groups).toContainEqual(
      expect.objectContaining({ event: 'group', running: 1, queued: 1, total: 2 }),
    )
    expect(groups.at(-1)).toMatchObject({
      event: 'group-end',
      done: 2,
      running: 0,
      queued: 0,
      failed: 0,
      total: 2,
    })
  })
})
