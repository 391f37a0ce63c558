import { numberEnd, spaceEnd } from '../json-bytes'
import type { JsonFields } from '../json-fields'
import {
  ARRAY,
  container,
  FALSE,
  FLOAT,
  INT,
  INTEGER,
  NULL,
  OBJECT,
  Output,
  string,
  TEXT,
  TRUE,
  value,
} from './jsonb'

/**
 * The JSONB of a new document `{ _id, ...fields, [tailName]: tail }` whose fields are record JSON
 * (checked, see scanRecord), transcoded from their text: no object of them is ever made. The
 * bytes are those `toJsonb` writes for the same document read with JSON.parse, so both paths
 * store the same thing; the caller takes the object path when `fields` has index names.
 */
export function recordsJsonb(
  id: string,
  fields: JsonFields,
  tail: readonly [string, unknown] | undefined,
  sizeHint: number,
): Buffer {
  const out = new Output(sizeHint + (sizeHint >> 3))
  container(out, OBJECT, () => {
    string(out, '_id')
    string(out, id)
    for (const [name, json] of fields.entries()) {
      string(out, name)
      new Transcoder(out, json).value()
    }
    if (tail) {
      string(out, tail[0])
      value(out, tail[1])
    }
  })
  return out.buf.subarray(0, out.len)
}

/** Writes one checked JSON value as JSONB, as `toJsonb(JSON.parse(text))` would. */
class Transcoder {
  private pos = 0

  constructor(
    private readonly out: Output,
    private readonly b: Buffer,
  ) {}

  private space(): void {
    this.pos = spaceEnd(this.b, this.pos)
  }

  value(): void {
    this.space()
    const out = this.out
    switch (this.b[this.pos]) {
      case 0x7b:
        return container(out, OBJECT, () => this.members())
      case 0x5b:
        return container(out, ARRAY, () => this.items())
      case 0x22:
        return this.string()
      case 0x74:
        return this.literal(TRUE, 4)
      case 0x66:
        return this.literal(FALSE, 5)
      case 0x6e:
        return this.literal(NULL, 4)
      default:
        return this.number()
    }
  }

  /** The walk is at `{` or `[`: steps into it; false if it is empty (and steps past its end). */
  private open(): boolean {
    this.pos++
    this.space()
    const c = this.b[this.pos]
    if (c !== 0x7d && c !== 0x5d) return true
    this.pos++
    return false
  }

  /** After a member or item: true if another follows. */
  private next(): boolean {
    this.space()
    return this.b[this.pos++] === 0x2c
  }

  private members(): void {
    if (!this.open()) return
    do {
      this.space()
      this.string()
      this.space()
      this.pos++ // ':'
      this.value()
    } while (this.next())
  }

  private items(): void {
    if (!this.open()) return
    do this.value()
    while (this.next())
  }

  /** A string without escapes is its bytes (TEXT); one with them is decoded and re-written. */
  private string(): void {
    const b = this.b
    const start = this.pos
    let p = start + 1
    let raw = true
    for (let c = b[p]; c !== 0x22; c = b[++p])
      if (c === 0x5c) {
        raw = false
        p++
      }
    this.pos = p + 1
    if (!raw) return string(this.out, JSON.parse(b.toString('utf8', start, p + 1)) as string)
    const size = p - start - 1
    const out = this.out
    out.ensure(5 + size)
    out.len += out.header(TEXT, size)
    out.len += b.copy(out.buf, out.len, start + 1, p)
  }

  private literal(type: number, length: number): void {
    this.out.ensure(1)
    this.out.buf[this.out.len++] = type
    this.pos += length
  }

  /** As JSON.stringify writes the number: `1.0` is `1`, `1E3` is `1000`. */
  private number(): void {
    const b = this.b
    const start = this.pos
    const p = numberEnd(b, start)
    this.pos = p
    if (canonicalInteger(b, start, p)) {
      // Already as JSON.stringify writes it: copied, with no string made.
      const out = this.out
      out.ensure(5 + (p - start))
      out.len += out.header(INT, p - start)
      out.len += b.copy(out.buf, out.len, start, p)
      return
    }
    const text = String(Number(b.toString('latin1', start, p)))
    this.out.text(INTEGER.test(text) ? INT : FLOAT, text, 'latin1')
  }
}

/** `-?[1-9][0-9]*` or `0` of at most 15 digits (exact as a double), not `-0`. */
function canonicalInteger(b: Buffer, start: number, end: number): boolean {
  const from = b[start] === 0x2d ? start + 1 : start
  const n = end - from
  if (n === 0 || n > 15 || (b[from] === 0x30 && (n > 1 || from > start))) return false
  for (let p = from; p < end; p++) if (b[p] < 0x30 || b[p] > 0x39) return false
  return true
}
