/**
 * SQLite's JSONB (sqlite.org/jsonb.html) written straight from a JSON value, byte for byte what
 * `jsonb(JSON.stringify(value))` makes, without the JSON text: SQLite's own conversion of an
 * 8 MB document held about four times the text in memory at once, this one the result. Each
 * element is a header (type, payload size) and a payload: numbers as their JSON text, strings as
 * their UTF-8 (TEXT) or their escaped JSON text (TEXTJ), containers as their elements.
 */
export const NULL = 0
export const TRUE = 1
export const FALSE = 2
export const INT = 3
export const FLOAT = 5
export const TEXT = 7
export const TEXTJ = 8
export const ARRAY = 11
export const OBJECT = 12

/** The largest header: a type byte and a 4-byte size (documents stay under 16 MiB). */
const RESERVED = 5
/** Characters JSON.stringify escapes (surrogates: only an unpaired one, checked after). */
const MAY_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/
export const INTEGER = /^-?\d+$/

export class Output {
  buf: Buffer
  len = 0
  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(Math.max(64, capacity))
  }

  ensure(more: number): void {
    if (this.len + more <= this.buf.length) return
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + more))
    this.buf.copy(next, 0, 0, this.len)
    this.buf = next
  }

  /** The smallest header for `size`, as SQLite writes it. */
  header(type: number, size: number, at = this.len): number {
    const b = this.buf
    if (size <= 11) {
      b[at] = (size << 4) | type
      return 1
    }
    if (size <= 0xff) {
      b[at] = 0xc0 | type
      b[at + 1] = size
      return 2
    }
    if (size <= 0xffff) {
      b[at] = 0xd0 | type
      b.writeUInt16BE(size, at + 1)
      return 3
    }
    b[at] = 0xe0 | type
    b.writeUInt32BE(size, at + 1)
    return 5
  }

  text(type: number, text: string, encoding: 'utf8' | 'latin1'): void {
    const size = encoding === 'latin1' ? text.length : Buffer.byteLength(text)
    this.ensure(RESERVED + size)
    this.len += this.header(type, size)
    this.len += this.buf.write(text, this.len, encoding)
  }
}

export function string(out: Output, s: string): void {
  if (!MAY_ESCAPE.test(s)) return out.text(TEXT, s, 'utf8')
  const json = JSON.stringify(s)
  const payload = json.slice(1, -1)
  out.text(json.includes('\\') ? TEXTJ : TEXT, payload, 'utf8')
}

export function container(out: Output, type: number, body: () => void): void {
  out.ensure(RESERVED)
  const start = out.len
  out.len += RESERVED
  body()
  const size = out.len - start - RESERVED
  const header = out.header(type, size, start)
  if (header < RESERVED) {
    out.buf.copyWithin(start + header, start + RESERVED, out.len)
    out.len -= RESERVED - header
  }
}

/** JSON.stringify's rules: toJSON first, `undefined` and functions dropped from objects, null in arrays. */
export function value(out: Output, v: unknown): void {
  if (v === null) {
    out.ensure(1)
    out.buf[out.len++] = NULL
    return
  }
  switch (typeof v) {
    case 'boolean':
      out.ensure(1)
      out.buf[out.len++] = v ? TRUE : FALSE
      return
    case 'number': {
      if (!Number.isFinite(v)) throw new Error(`${v} has no JSON form`)
      const text = String(v)
      return out.text(INTEGER.test(text) ? INT : FLOAT, text, 'latin1')
    }
    case 'string':
      return string(out, v)
    case 'object':
      break
    default:
      throw new Error(`a ${typeof v} has no JSON form`)
  }
  const obj = v as Record<string, unknown> & { toJSON?: () => unknown }
  if (typeof obj.toJSON === 'function') return value(out, obj.toJSON())
  if (Array.isArray(obj))
    return container(out, ARRAY, () => {
      for (const item of obj as unknown[]) value(out, dropped(item) ? null : item)
    })
  container(out, OBJECT, () => {
    for (const key of Object.keys(obj)) {
      const item = obj[key]
      if (dropped(item)) continue
      string(out, key)
      value(out, item)
    }
  })
}

function dropped(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol'
}

/** The JSONB of `doc`; `sizeHint` (say, its BSON size) saves regrowing the buffer. */
export function toJsonb(doc: unknown, sizeHint = 0): Buffer {
  const out = new Output(sizeHint + (sizeHint >> 3))
  value(out, doc)
  return out.buf.subarray(0, out.len)
}
