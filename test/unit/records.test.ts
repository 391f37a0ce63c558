import { Readable } from 'node:stream'
import { pack } from 'tar-stream'
import { describe, expect, it } from 'vitest'
import { MAX_LINE_BYTES, readResults } from '../../src/results/records'
import { MAX_DEPTH } from '../../src/results/record'

/** The tar the engine sends back for OUT_DIR, with records.jsonl cut into `chunk`-byte writes. */
function tarOf(records: Buffer, chunk = 7): Readable {
  const p = pack()
  const entry = p.entry({ name: 'out/records.jsonl', size: records.length })
  for (let i = 0; i < records.length; i += chunk) entry.write(records.subarray(i, i + chunk))
  entry.end(undefined) // streamx's typings insist on an argument
  p.finalize()
  return p as unknown as Readable
}

const nested = (depth: number): unknown => (depth === 0 ? 1 : { a: nested(depth - 1) })

describe('the records reader', () => {
  it('stores good lines, names each bad one, whatever the chunking', async () => {
    const lines = [
      Buffer.from('{"a":1,"s":"é😀"}'), // 1
      Buffer.from([0x7b, 0x22, 0x62, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), // 2: invalid UTF-8
      Buffer.from('{"c":{"$date":"2020-01-01T00:00:00Z"}}'), // 3: a $ name inside
      Buffer.from('{"d":"\\ud800"}'), // 4: an unpaired surrogate
      Buffer.from('{"__proto__":[{"x":1}]}'), // 5: bson would read it back as bytes
      Buffer.from(JSON.stringify({ deep: nested(MAX_DEPTH - 1) })), // 6: as deep as MongoDB takes
      Buffer.from(JSON.stringify({ deeper: nested(MAX_DEPTH) })), // 7
      Buffer.from('{"e":1e400}'), // 8
      Buffer.from('{"f":{"a.b":1}}'), // 9
      Buffer.from('{"g":'), // 10: truncated
      Buffer.from(''), // 11: blank, skipped
      Buffer.from('{"h":"\\ud83d\\ude00"}'), // 12: a pair, fine
    ]
    const text = Buffer.concat([...lines.flatMap((l) => [l, Buffer.from('\n')]), Buffer.from('{"cut":')])
    for (const chunk of [1, 3, 64, 1 << 16]) {
      const r = await readResults(tarOf(text, chunk))
      expect(r.problems.map((p) => p.line)).toEqual([2, 3, 4, 5, 7, 8, 9, 10])
      expect(r.problems[0].reason).toMatch(/not UTF-8/)
      expect(r.cutLine).toBe(true)
      expect(r.records).toBe(3)
      const fields = r.fields.toObject()
      expect(Object.getPrototypeOf(fields)).toBe(Object.prototype)
      expect(Object.keys(fields)).toEqual(['a', 's', 'deep', 'h'])
      expect(fields.s).toBe('é😀')
      expect(fields.h).toBe('😀')
    }
  })

  it('reads long lines whole, however they are cut, with lines before and after them', async () => {
    const long = (n: number) => JSON.stringify({ ['big' + n]: 'é'.repeat(n) })
    const text = Buffer.from(
      ['{"a":1}', long(3 << 19), '{"b":2}', long(5 << 18), '{"c":3}', ''].join('\n') + '{"cut":',
    )
    for (const chunk of [4096, 65536, 1 << 20]) {
      const r = await readResults(tarOf(text, chunk))
      expect(r.problems).toEqual([])
      expect(r.cutLine).toBe(true)
      const fields = r.fields.toObject()
      expect(Object.keys(fields)).toEqual(['a', `big${3 << 19}`, 'b', `big${5 << 18}`, 'c'])
      expect(fields[`big${3 << 19}`]).toBe('é'.repeat(3 << 19))
      expect(fields[`big${5 << 18}`]).toBe('é'.repeat(5 << 18))
    }
  })

  it('fails, not waits, when the engine closes the archive before its end', async () => {
    const whole = tarOf(Buffer.from('{"a":1}\n'.repeat(10_000)), 1 << 16)
    const chunks: Buffer[] = []
    for await (const chunk of whole) chunks.push(chunk as Buffer)
    const cut = new Readable({ read() {} })
    cut.push(Buffer.concat(chunks).subarray(0, 20_000))
    setTimeout(() => cut.destroy(), 50)
    await expect(readResults(cut)).rejects.toThrow(/closed the results archive before its end/)
  })

  it('drops a line over twice the size of a document as it streams, and goes on', async () => {
    const big = Buffer.alloc(MAX_LINE_BYTES + 1, 'a')
    const text = Buffer.concat([Buffer.from('{"a":1}\n{"big":"'), big, Buffer.from('"}\n{"b":2}\n')])
    const r = await readResults(tarOf(text, 1 << 16))
    expect(r.problems).toEqual([{ line: 2, reason: expect.stringMatching(/over 33554432 bytes/) }])
    expect(r.fields.toObject()).toEqual({ a: 1, b: 2 })
  })
})
