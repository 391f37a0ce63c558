import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { toJsonb } from '../../src/store/sqlite/jsonb'
import { Random } from '../../reliability/lib/random'
import { recordStream } from '../../reliability/lib/record-stream'

// SQLite is the oracle: the bytes must be those of jsonb(JSON.stringify(value)).
const db = new Database(':memory:')
const sqlite = db.prepare('SELECT jsonb(?) AS b').pluck()
const same = (v: unknown) =>
  expect(toJsonb(v).toString('hex')).toBe((sqlite.get(JSON.stringify(v)) as Buffer).toString('hex'))

describe('toJsonb', () => {
  it('writes what SQLite writes, at every header size', () => {
    for (const n of [0, 1, 11, 12, 255, 256, 65535, 65536, 70000]) {
      same('x'.repeat(n))
      same({ k: 'é'.repeat(n >> 1) })
      same(Array.from({ length: n >> 2 }, (_, i) => i))
    }
  })

  it('writes what SQLite writes, for every kind of value', () => {
    same([null, true, false, 0, -1, 1.5, 1e21, 1e-7, 5e-324, 2 ** 53, -0, 123456.789, -(2 ** 60)])
    same(['a"b', 'back\\slash', 'tab\t', 'nul\u0000', '\u001f', 'é😀漢', '\ud800', 'a\udc00b', '\u2028', ''])
    same({ '': 1, é: { 'a"b': [{}, [], {}] }, u: undefined, f: () => 1, d: new Date(0) })
    same([undefined, () => 1])
    same({ _id: '6b0f', n: { $date: '2026-01-01T00:00:00.000Z' } })
  })

  it('writes what SQLite writes, for fuzzed records', () => {
    const stream = recordStream(new Random(7), 3000)
    same(stream.fields)
  })
})
