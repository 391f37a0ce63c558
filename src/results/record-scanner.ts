import { BSON } from 'bson'
import { numberEnd, spaceEnd } from '../store/json-bytes'
import { NameStack } from './record-names'

/** MongoDB's limit: a document nests at most 100 levels, itself the first. */
export const MAX_DEPTH = 100

/** One field of a record: its name, its value's JSON text, the value's BSON size. */
export interface RecordField {
  readonly name: string
  readonly json: Buffer
  readonly bsonBytes: number
}

export class Refusal extends Error {}

const QUOTE = 0x22
const BACKSLASH = 0x5c
export const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d
const LONE_SURROGATE = /[\uD800-\uDFFF]/u
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/

/** A field whose objects JSON.parse would reorder or shorten, as JSON.parse reads it. */
function reordered(name: string, json: Buffer): RecordField {
  const value: unknown = JSON.parse(json.toString('utf8'))
  // The element's size less its type byte and name (a NUL-terminated string).
  const bsonBytes = BSON.calculateObjectSize({ [name]: value }) - 5 - 2 - Buffer.byteLength(name)
  return { name, json: Buffer.from(JSON.stringify(value)), bsonBytes }
}

/** Names longer than this in one object are checked for repeats with a Set (of their text). */
const SHORT_OBJECT = 32

/**
 * Walks the line without making garbage: names are kept as offsets into it (a stack shared by
 * the nested objects), numbers are read from their digits, strings without escapes are never
 * decoded; only escaped strings, floats and messages become JS strings. An 8 MB line of scan
 * findings is walked in 2-3 times JSON.parse's time, leaving under 2 MiB of heap behind where
 * JSON.parse's tree of it holds 18 MiB.
 */
export class Scanner {
  pos = 0
  private readonly names: NameStack
  /** Where the walk is: for each level, the index of its name in the stacks, or -1 - its array index. */
  private readonly path: number[] = []
  /** Set when an object inside the current field repeats a name or uses an index name. */
  private reorder = false

  constructor(private readonly b: Buffer) {
    this.names = new NameStack(b)
  }

  fail(why: string): never {
    throw new Refusal(why)
  }

  private at(): string {
    return this.path.map((k) => (k < 0 ? String(-1 - k) : this.names.text(k))).join('.')
  }

  space(): void {
    this.pos = spaceEnd(this.b, this.pos)
  }

  private expect(byte: number, what: string): void {
    this.space()
    if (this.b[this.pos] !== byte) this.fail(`not JSON (${what} expected at byte ${this.pos})`)
    this.pos++
  }

  record(): RecordField[] {
    const fields: RecordField[] = []
    this.object(1, (k, start) => {
      const name = this.names.text(k)
      if (name === '_id' || name === '_lev') this.fail(`the field name ${name} is reserved`)
      if (name === '') this.fail('the field name "" cannot be stored')
      this.reorder = false
      const bsonBytes = this.value(2)
      const json = this.b.subarray(start, this.pos)
      fields.push(this.reorder ? reordered(name, json) : { name, json, bsonBytes })
    })
    return fields
  }

  /**
   * Walks an object (the walk is at its `{`): each name is checked and pushed on the stacks, and
   * `each` (given its index there and where the value starts) reads the value; the top level's
   * values are read by `each`, the others by `value`. Returns the object's size as BSON.
   */
  private object(depth: number, each?: (k: number, start: number) => void): number {
    if (depth > MAX_DEPTH) this.fail(`the record nests deeper than ${MAX_DEPTH} levels (at ${this.at()})`)
    const base = this.names.size
    let bytes = 5
    let seen: Set<string> | undefined
    this.pos++
    this.space()
    if (this.b[this.pos] === CLOSE_OBJECT) return (this.pos++, bytes)
    for (;;) {
      this.space()
      if (this.b[this.pos] !== QUOTE) this.fail(`not JSON (a name expected at byte ${this.pos})`)
      const k = this.name()
      if (this.names.isIndex(k)) this.reorder = true
      else if (seen) {
        const text = this.names.text(k)
        if (seen.has(text)) this.reorder = true
        seen.add(text)
      } else if (this.names.repeats(base, k)) this.reorder = true
      else if (k - base >= SHORT_OBJECT) seen = new Set(this.names.textsOf(base, k + 1))
      this.expect(0x3a, '":"')
      this.space()
      this.path.push(k)
      if (each) each(k, this.pos)
      else bytes += 2 + this.names.bytes(k) + this.value(depth + 1)
      this.path.pop()
      this.space()
      const c = this.b[this.pos++]
      if (c === CLOSE_OBJECT) break
      if (c !== 0x2c) this.fail(`not JSON ("," or "}" expected at byte ${this.pos - 1})`)
    }
    this.names.truncate(base)
    return bytes
  }

  /** Reads a name at the walk's `"`, checks it, pushes it; returns its index on the stack. */
  private name(): number {
    const start = this.pos + 1
    const text = this.string()
    const k = this.names.push(start, this.pos - 1, text)
    const problem = this.names.problem(k)
    if (problem) {
      this.path.push(k)
      const name = JSON.stringify(this.names.text(k))
      this.fail(`the field name ${name} at ${this.at()} cannot be stored (${problem})`)
    }
    return k
  }

  /** Reads a value at `depth` (the record is 1); returns its size as a BSON value. */
  private value(depth: number): number {
    const b = this.b
    switch (b[this.pos]) {
      case OPEN_OBJECT:
        return this.object(depth)
      case OPEN_ARRAY:
        return this.array(depth)
      case QUOTE: {
        const start = this.pos
        const text = this.string()
        if (text === undefined) return 5 + (this.pos - start - 2)
        if (LONE_SURROGATE.test(text)) this.fail(`the string at ${this.at()} is not valid Unicode`)
        return 5 + Buffer.byteLength(text)
      }
      case 0x74:
        return this.word(TRUE_BYTES, 1)
      case 0x66:
        return this.word(FALSE_BYTES, 1)
      case 0x6e:
        return this.word(NULL_BYTES, 0)
      default:
        return this.number()
    }
  }

  private array(depth: number): number {
    if (depth > MAX_DEPTH) this.fail(`the record nests deeper than ${MAX_DEPTH} levels (at ${this.at()})`)
    this.pos++
    this.space()
    let bytes = 5
    if (this.b[this.pos] === CLOSE_ARRAY) return (this.pos++, bytes)
    for (let i = 0; ; i++) {
      this.space()
      this.path.push(-1 - i)
      bytes += 2 + digits(i) + this.value(depth + 1)
      this.path.pop()
      this.space()
      const c = this.b[this.pos++]
      if (c === CLOSE_ARRAY) return bytes
      if (c !== 0x2c) this.fail(`not JSON ("," or "]" expected at byte ${this.pos - 1})`)
    }
  }

  /**
   * Steps over a string at the walk's `"`; returns its text only when it has escapes (then it
   * is decoded): one without is its bytes, already checked as UTF-8.
   */
  private string(): string | undefined {
    const b = this.b
    const start = this.pos
    let p = start + 1
    let raw = true
    for (;;) {
      const c = b[p]
      if (c === QUOTE) break
      if (c === undefined) this.fail(`not JSON (a string not closed, from byte ${start})`)
      if (c < 0x20) this.fail(`not JSON (a control character in a string at byte ${p})`)
      if (c === BACKSLASH) {
        raw = false
        p++
      }
      p++
    }
    this.pos = p + 1
    if (raw) return undefined
    try {
      return JSON.parse(b.toString('utf8', start, p + 1)) as string
    } catch (err) {
      this.fail(`not JSON (${(err as Error).message})`)
    }
  }

  private word(word: Buffer, bytes: number): number {
    const b = this.b
    for (let i = 0; i < word.length; i++)
      if (b[this.pos + i] !== word[i]) this.fail(`not JSON (an unexpected byte at ${this.pos + i})`)
    this.pos += word.length
    return bytes
  }

  /** A number's BSON size: int32 (4 bytes) when it is a whole number in range, else a double (8). */
  private number(): number {
    const b = this.b
    const start = this.pos
    const p = numberEnd(b, start)
    // Most numbers in results are small integers: read from their digits, with no string made.
    const digitsFrom = b[start] === 0x2d ? start + 1 : start
    if (p > digitsFrom && p - digitsFrom <= 10 && (b[digitsFrom] !== 0x30 || p - digitsFrom === 1)) {
      let n = 0
      let p2 = digitsFrom
      for (; p2 < p; p2++) {
        const c = b[p2]
        if (c < 0x30 || c > 0x39) break
        n = n * 10 + (c - 0x30)
      }
      if (p2 === p) {
        this.pos = p
        if (digitsFrom > start) n = -n
        return n >= -(2 ** 31) && n < 2 ** 31 && !Object.is(n, -0) ? 4 : 8
      }
    }
    const text = b.toString('latin1', start, p)
    if (!NUMBER.test(text)) this.fail(`not JSON (an unexpected byte at ${start})`)
    const n = Number(text)
    if (!Number.isFinite(n)) this.fail(`the number at ${this.at()} is out of range`)
    this.pos = p
    return Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 && !Object.is(n, -0) ? 4 : 8
  }
}

const TRUE_BYTES = Buffer.from('true')
const FALSE_BYTES = Buffer.from('false')
const NULL_BYTES = Buffer.from('null')

/** How many decimal digits `i` (≥ 0) has: the length of its name in a BSON array. */
function digits(i: number): number {
  let n = 1
  for (let x = i; x >= 10; x = Math.floor(x / 10)) n++
  return n
}
