import { isUtf8 } from 'node:buffer'
import { BSON } from 'bson'
import { numberEnd, spaceEnd } from '../store/json-bytes'
import { isIndexName } from '../store/json-fields'
import { nameProblem, Names } from './record-names'

/** MongoDB's limit: a document nests at most 100 levels, itself the first. */
export const MAX_DEPTH = 100

/** One field of a record: its name, its value's JSON text, the value's BSON size. */
export interface RecordField {
  readonly name: string
  readonly json: Buffer
  readonly bsonBytes: number
}

/**
 * The record on one line, or why the line is not one. A record is a JSON object of fields that
 * both stores keep as they are, so what MongoDB refuses is refused here, for both: names
 * starting with `$` or holding a dot or NUL (the embedded store would also read `{"$date": ...}`
 * back as a Date), numbers out of range (`1e400`), unpaired surrogates (`"\ud800"`: MongoDB would
 * store U+FFFD), nesting past `MAX_DEPTH`, and `__proto__`. The top level also may not use `_id`,
 * `_lev` or `''`. The line is checked as bytes, in one walk, and never becomes objects: each
 * field's value stays a slice of `line`. A value whose objects repeat a name or use an index
 * name (`"7"`), whose order JSON.parse changes, is rewritten as JSON.parse would read it.
 */
export function scanRecord(line: Buffer): RecordField[] | string {
  if (!isUtf8(line)) return 'the line is not UTF-8'
  const scan = new Scanner(line)
  try {
    scan.space()
    if (line[scan.pos] !== OPEN_OBJECT) return 'a record is a JSON object of fields'
    const fields = scan.record()
    scan.space()
    if (scan.pos < line.length) scan.fail(`not JSON (more after the record, at byte ${scan.pos})`)
    return fields
  } catch (err) {
    if (err instanceof Refusal) return err.message
    throw err
  }
}

class Refusal extends Error {}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d
const LONE_SURROGATE = /[\uD800-\uDFFF]/u
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/

class Scanner {
  pos = 0
  /** Where the walk is (names and indexes), joined only for a message. */
  private readonly path: string[] = []
  /** Set when an object inside the current field repeats a name or uses an index name. */
  private reorder = false

  constructor(private readonly b: Buffer) {}

  fail(why: string): never {
    throw new Refusal(why)
  }

  private at(name?: string): string {
    return [...this.path, ...(name === undefined ? [] : [name])].join('.')
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
    this.members(1, (name, start) => {
      if (name === '_id' || name === '_lev') this.fail(`the field name ${name} is reserved`)
      if (name === '') this.fail('the field name "" cannot be stored')
      this.reorder = false
      const bsonBytes = this.value(2)
      const json = this.b.subarray(start, this.pos)
      fields.push(this.reorder ? reordered(name, json) : { name, json, bsonBytes })
    })
    return fields
  }

  /** Walks an object's members (the walk is at its `{`); `each` reads a value at `start`. */
  private members(depth: number, each: (name: string, start: number) => void): void {
    if (depth > MAX_DEPTH) this.fail(`the record nests deeper than ${MAX_DEPTH} levels (at ${this.at()})`)
    this.pos++
    this.space()
    if (this.b[this.pos] === CLOSE_OBJECT) return void this.pos++
    for (;;) {
      this.space()
      if (this.b[this.pos] !== QUOTE) this.fail(`not JSON (a name expected at byte ${this.pos})`)
      const name = this.name()
      this.expect(0x3a, '":"')
      this.space()
      this.path.push(name)
      each(name, this.pos)
      this.path.pop()
      this.space()
      const c = this.b[this.pos++]
      if (c === CLOSE_OBJECT) return
      if (c !== 0x2c) this.fail(`not JSON ("," or "}" expected at byte ${this.pos - 1})`)
    }
  }

  private name(): string {
    const text = this.string(true).text!
    const problem = nameProblem(text)
    if (problem)
      this.fail(`the field name ${JSON.stringify(text)} at ${this.at(text)} cannot be stored (${problem})`)
    return text
  }

  /** Reads a value at `depth` (the record is 1); returns its size as a BSON value. */
  private value(depth: number): number {
    const b = this.b
    switch (b[this.pos]) {
      case OPEN_OBJECT: {
        const names = new Names()
        let bytes = 5
        this.members(depth, (name) => {
          if (isIndexName(name) || !names.add(name)) this.reorder = true
          bytes += 2 + Buffer.byteLength(name) + this.value(depth + 1)
        })
        return bytes
      }
      case OPEN_ARRAY:
        return this.array(depth)
      case QUOTE: {
        const { text, bytes } = this.string(false)
        if (text !== undefined && LONE_SURROGATE.test(text))
          this.fail(`the string at ${this.at()} is not valid Unicode`)
        return 5 + bytes
      }
      case 0x74:
        return this.word('true', 1)
      case 0x66:
        return this.word('false', 1)
      case 0x6e:
        return this.word('null', 0)
      default:
        return this.number()
    }
  }

  private array(depth: number): number {
    if (depth > MAX_DEPTH) this.fail(`the record nests deeper than ${MAX_DEPTH} levels (at ${this.at()})`)
    this.pos++
    this.space()
    let bytes = 5
    if (this.b[this.pos] === CLOSE_ARRAY) return (void this.pos++, bytes)
    for (let i = 0; ; i++) {
      this.space()
      const index = String(i)
      this.path.push(index)
      bytes += 2 + index.length + this.value(depth + 1)
      this.path.pop()
      this.space()
      const c = this.b[this.pos++]
      if (c === CLOSE_ARRAY) return bytes
      if (c !== 0x2c) this.fail(`not JSON ("," or "]" expected at byte ${this.pos - 1})`)
    }
  }

  /**
   * A string at the walk's `"`: its UTF-8 byte count, and its text when asked for or when it has
   * escapes (a value without escapes needs no text: the bytes checked as UTF-8 are the string).
   */
  private string(wantText: boolean): { text?: string; bytes: number } {
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
    if (raw) return { text: wantText ? b.toString('utf8', start + 1, p) : undefined, bytes: p - start - 1 }
    let text: string
    try {
      text = JSON.parse(b.toString('utf8', start, p + 1)) as string
    } catch (err) {
      this.fail(`not JSON (${(err as Error).message})`)
    }
    return { text, bytes: Buffer.byteLength(text) }
  }

  private word(word: string, bytes: number): number {
    if (this.b.toString('latin1', this.pos, this.pos + word.length) !== word)
      this.fail(`not JSON (an unexpected byte at ${this.pos})`)
    this.pos += word.length
    return bytes
  }

  private number(): number {
    const b = this.b
    const start = this.pos
    const p = numberEnd(b, start)
    const text = b.toString('latin1', start, p)
    if (!NUMBER.test(text)) this.fail(`not JSON (an unexpected byte at ${start})`)
    const n = Number(text)
    if (!Number.isFinite(n)) this.fail(`the number at ${this.at()} is out of range`)
    this.pos = p
    return Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 && !Object.is(n, -0) ? 4 : 8
  }
}

/** A field whose objects JSON.parse would reorder or shorten, as JSON.parse reads it. */
function reordered(name: string, json: Buffer): RecordField {
  const value: unknown = JSON.parse(json.toString('utf8'))
  // The element's size less its type byte and name (a NUL-terminated string).
  const bsonBytes = BSON.calculateObjectSize({ [name]: value }) - 5 - 2 - Buffer.byteLength(name)
  return { name, json: Buffer.from(JSON.stringify(value)), bsonBytes }
}
