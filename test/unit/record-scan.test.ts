import { BSON } from 'bson'
import { describe, expect, it } from 'vitest'
import { MAX_DEPTH, scanRecord } from '../../src/results/record'
import { JsonFields } from '../../src/store/json-fields'
import { toJsonb } from '../../src/store/sqlite/jsonb'
import { recordsJsonb } from '../../src/store/sqlite/jsonb-text'
import { Random } from '../../reliability/lib/random'
import { recordStream } from '../../reliability/lib/record-stream'

/**
 * The oracle: JSON.parse, then the rules written plainly on the objects (what the reader did
 * before it walked bytes). The scanner must refuse exactly the lines this refuses.
 */
function oracleRefuses(line: string): boolean {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return true
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return true
  const keys = Object.keys(value)
  if (keys.some((k) => k === '_id' || k === '_lev' || k === '')) return true
  const bad = (v: unknown, depth: number): boolean => {
    if (typeof v === 'string') return /[\uD800-\uDFFF]/u.test(v)
    if (typeof v === 'number') return !Number.isFinite(v)
    if (typeof v !== 'object' || v === null) return false
    if (depth > MAX_DEPTH) return true
    const array = Array.isArray(v)
    return Object.keys(v).some(
      (k) =>
        (!array &&
          (k === '__proto__' ||
            k.startsWith('$') ||
            k.includes('.') ||
            k.includes('\0') ||
            /[\uD800-\uDFFF]/u.test(k))) ||
        bad((v as Record<string, unknown>)[k], depth + 1),
    )
  }
  return bad(value, 1)
}

/** The fields of one line, as the reader keeps them. */
function fieldsOf(line: string): JsonFields {
  const scanned = scanRecord(Buffer.from(line))
  if (typeof scanned === 'string') throw new Error(`refused: ${scanned}`)
  const fields = new JsonFields()
  for (const f of scanned) fields.set(f.name, f.json, f.bsonBytes)
  return fields
}

/** Every way the walk could differ from JSON.parse on a valid record. */
const VALID = [
  '{"a":1}',
  ' { "a" : [ 1 , 2.50 , -0 , 1E3 , 1e-7 , 0.1e1 , 2147483647, 2147483648, -2147483648, -2147483649 ] } ',
  '{"s":"\\u0041\\/\\"\\\\\\n\\t\\u00e9\\ud83d\\ude00", "t": "é漢😀", "u": "\\u2028"}',
  '{"o":{"b":1,"a":2,"b":3}}', // a repeated name: the last value, in the first place
  '{"o":{"z":1,"10":2,"2":3,"x":{"1":[]}}}', // index names go first
  '{"9":1,"a":2,"1":3,"a":4}', // at the top too
  '{"o":{"4294967295":1,"4294967294":2,"01":3}}', // only 0..2^32-2 are indexes
  '{"e":{},"f":[],"g":[{}],"h":null,"i":true,"j":false}',
  `{"deep":${'{"d":'.repeat(MAX_DEPTH - 1)}1${'}'.repeat(MAX_DEPTH - 1)}}`, // 100 levels
  `{"many":{${Array.from({ length: 40 }, (_, i) => `"k${i % 30}":${i}`).join(',')}}}`,
  '{"big":"' + 'x'.repeat(70000) + '"}',
  '{"py": {"a": 1, "b": [1, 2], "c": "d"}}',
  '{"n":123456789012345678901234567890,"m":1.7976931348623157e308,"p":5e-324}',
]

const INVALID = [
  '{"a":1,}',
  '{"a":01}',
  '{"a":+1}',
  '{"a":1.}',
  '{"a":.5}',
  '{"a":-}',
  '{"a":tru}',
  '{"a":"\\x"}',
  '{"a":"\t"}',
  '{"a":"x}',
  '{"a" 1}',
  '{a:1}',
  '{"a":1}x',
  '{"a":1}{"b":2}',
  '[1]',
  '"s"',
  '{"_id":1}',
  '{"$a":1}',
  '{"o":{"\\u0024a":1}}',
  '{"o":{"a\\u002eb":1}}',
  '{"o":{"__proto__":1}}',
  '{"o":{"\\u005f_proto__":1}}',
  '{"o":["\\udc00"]}',
  '{"a":1e400}',
  `{"deep":${'{"d":'.repeat(MAX_DEPTH)}1${'}'.repeat(MAX_DEPTH)}}`, // 101
  `{"deep":${'['.repeat(MAX_DEPTH)}${']'.repeat(MAX_DEPTH)}}`,
]

describe('scanRecord', () => {
  it('keeps what JSON.parse reads, sized as BSON sizes it, written as toJsonb writes it', () => {
    for (const line of VALID) {
      expect(oracleRefuses(line), line).toBe(false)
      const fields = fieldsOf(line)
      const parsed = JSON.parse(line) as Record<string, unknown>
      expect(Object.entries(fields.toObject())).toEqual(Object.entries(parsed))
      expect(5 + fields.bsonBytes, line.slice(0, 80)).toBe(BSON.calculateObjectSize(parsed))
      if (fields.hasIndexNames()) continue // the store takes the object path for these
      const tail = ['_lev', { ok: true }] as const
      const got = recordsJsonb('id1', fieldsOf(line), tail, 0) // toObject let the JSON go
      expect(got.toString('hex'), line.slice(0, 80)).toBe(
        toJsonb({ _id: 'id1', ...parsed, _lev: { ok: true } }).toString('hex'),
      )
    }
  })

  it('refuses what the rules refuse, and only that', () => {
    for (const line of INVALID) {
      expect(oracleRefuses(line), line).toBe(true)
      expect(typeof scanRecord(Buffer.from(line)), line).toBe('string')
    }
  })

  it('agrees with the oracle on fuzzed and mutated lines', () => {
    const r = new Random(11)
    const stream = recordStream(r, 3000)
    const lines = stream.bytes
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
    const mutate = (line: string): string => {
      const at = r.int(0, line.length - 1)
      const piece = r.pick(['', ' ', '"', ',', '}', ']', '{', '[', '\\', '1', 'e', '-', '.', ':', 'é', '$'])
      return line.slice(0, at) + piece + line.slice(at + r.int(0, 2))
    }
    let accepted = 0
    for (const base of lines) {
      for (const line of [base, mutate(base), mutate(mutate(base))]) {
        // A cut through a surrogate pair has no UTF-8 form (the bytes test covers bad bytes).
        if (Buffer.from(line).toString('utf8') !== line) continue
        const refused = oracleRefuses(line)
        const scanned = scanRecord(Buffer.from(line))
        expect(typeof scanned === 'string', line).toBe(refused)
        if (refused) continue
        accepted++
        const fields = fieldsOf(line)
        const parsed = JSON.parse(line) as Record<string, unknown>
        expect(Object.entries(fields.toObject())).toEqual(Object.entries(parsed))
        expect(5 + fields.bsonBytes).toBe(BSON.calculateObjectSize(parsed))
        if (!fields.hasIndexNames())
          expect(
            recordsJsonb('x', fieldsOf(line), undefined, 0).equals(toJsonb({ _id: 'x', ...parsed })),
          ).toBe(true)
      }
    }
    expect(accepted).toBeGreaterThan(3000)
  })

  it('refuses a line that is not UTF-8, however the bytes go wrong', () => {
    for (const bytes of [[0xff], [0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]])
      expect(
        scanRecord(Buffer.concat([Buffer.from('{"a":"'), Buffer.from(bytes), Buffer.from('"}')])),
      ).toMatch(/not UTF-8/)
  })
})
