import type { Random } from './random'

/** A fuzzed records file and what the reader must make of it. */
export interface RecordStream {
  readonly bytes: Buffer
  /** The valid records merged in order (later fields win): the document the run must store. */
  readonly fields: Record<string, unknown>
  /** The lines (from 1) that are not records: the RecordError must name exactly these. */
  readonly bad: number[]
  /** The last line has no newline: dropped, with a warning. */
  readonly cut: boolean
}

const TEXTS = [
  'plain',
  'é à ü',
  '漢字',
  '😀 emoji',
  'tab\there',
  'quote " back \\ slash',
  'nul \u0000 in',
  '',
]
const KEYS = ['host', 'port', 'é', '漢', 'constructor', 'toString', 'a b', 'x-y', 'ok$']
const NUMBERS = [0, 1, -1, 42, 2 ** 31, 2 ** 53 - 1, 2 ** 60, 0.1, -3.5e-7, 1e300, 5e-324, 123456.789]

/** Lines that are not records, each with what makes it one. */
const BAD: ((r: Random) => Buffer)[] = [
  (r) => {
    const good = JSON.stringify({ cut: r.pick(TEXTS), n: r.pick(NUMBERS) })
    return Buffer.from(good.slice(0, r.int(1, good.length - 1))) // truncated
  },
  (r) => {
    const bytes = r.pick([[0xff], [0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]])
    return Buffer.concat([Buffer.from('{"bad":"x'), Buffer.from(bytes), Buffer.from('y"}')]) // not UTF-8
  },
  (r) => Buffer.from(r.pick(['[1,2]', '"text"', '42', 'null', 'true', '{"a":1}{"b":2}', '{"a":1,}'])),
  (r) => Buffer.from(r.pick(['{"_id":1}', '{"_lev":{}}', '{"":1}', '{"$set":{"a":1}}', '{"a.b":1}'])),
  (r) =>
    Buffer.from(
      r.pick([
        '{"when":{"$date":"2020-01-01T00:00:00Z"}}',
        '{"n":{"$numberLong":"5"}}',
        '{"id":{"\\u0024oid":"0123456789abcdef01234567"}}',
        '{"x":[{"$minKey":1}]}',
        '{"x":{"a.b":1}}',
        '{"x":{"a\\u0000b":1}}',
        '{"__proto__":{"x":1}}',
        '{"x":{"__proto__":[{"y":1}]}}',
      ]),
    ), // EJSON and names MongoDB refuses, inside
  (r) => Buffer.from(r.pick(['{"s":"\\ud800"}', '{"s":"a\\udc00b"}', '{"\\udbff":1}'])), // unpaired surrogates
  (r) => Buffer.from(r.pick(['{"big":1e400}', '{"big":-1e309}'])), // out of range
  () => Buffer.from(JSON.stringify({ deep: nest(100) })), // 101 levels
]

/** `depth` levels below the value it is in: `{ d: { d: ... 1 } }`. */
export function nest(depth: number): unknown {
  let v: unknown = 1
  for (let i = 0; i < depth; i++) v = { d: v }
  return v
}

/** No arrays directly in arrays: the test server (FerretDB 1.x) refuses them, MongoDB does not. */
function value(r: Random, depth: number, inArray = false): unknown {
  const kind = r.int(0, depth > 4 ? 3 : 6)
  if (kind === 0) return r.pick(TEXTS) + r.int(0, 999)
  if (kind === 1) return r.pick(NUMBERS)
  if (kind === 2) return r.pick([true, false, null])
  if (kind === 3) return r.int(0, 1e6)
  if (kind === 4)
    return inArray ? r.pick(NUMBERS) : Array.from({ length: r.int(0, 4) }, () => value(r, depth + 1, true))
  // As deep as MongoDB takes: the record, then 99 levels in one of its fields.
  if (kind === 5) return depth === 1 ? nest(r.int(1, 99)) : r.pick(TEXTS)
  const obj: Record<string, unknown> = {}
  for (let i = r.int(0, 4); i > 0; i--) define(obj, r.pick(KEYS), value(r, depth + 1))
  return obj
}

/** A field set as JSON.parse sets it, whatever its name. */
function define(obj: Record<string, unknown>, key: string, v: unknown): void {
  Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true })
}

/**
 * `lines` lines drawn from `r`: about one in five not a record, one in twenty blank, some records
 * setting a field again (later wins); with `cut`, a last record without its newline.
 */
export function recordStream(r: Random, lines: number, cut = false): RecordStream {
  const parts: Buffer[] = []
  const fields: Record<string, unknown> = {}
  const bad: number[] = []
  const names: string[] = []
  for (let n = 1; n <= lines; n++) {
    const roll = r.next()
    if (roll < 0.2) {
      parts.push(r.pick(BAD)(r))
      bad.push(n)
    } else if (roll < 0.25) {
      parts.push(Buffer.from(r.pick(['', ' ', '\t', '\r'])))
    } else {
      const record: Record<string, unknown> = {}
      for (let i = r.int(1, 3); i > 0; i--) {
        const again = names.length > 0 && r.next() < 0.2
        const name = again ? r.pick(names) : r.pick(['f', 'é', 'to String']) + n + i
        if (!again) names.push(name)
        define(record, name, value(r, 1))
      }
      for (const [k, v] of Object.entries(record)) define(fields, k, v)
      parts.push(Buffer.from(JSON.stringify(record)))
    }
    parts.push(Buffer.from('\n'))
  }
  if (cut) parts.push(Buffer.from('{"cut":"never stored'))
  return { bytes: Buffer.concat(parts), fields, bad, cut }
}
