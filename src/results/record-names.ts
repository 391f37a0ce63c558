/** Names in a record: which ones a store cannot keep, and which repeat within one object. */
import { isIndexName } from '../store/json-fields'

const LONE_SURROGATE = /[\uD800-\uDFFF]/u

export function nameProblem(key: string): string | undefined {
  // Code that copies a document with Object.assign or `obj[key] =` would set its prototype.
  if (key === '__proto__') return 'JavaScript takes it for the prototype'
  if (key.charCodeAt(0) === 36) return 'no leading $'
  if (key.includes('.')) return 'no dots'
  if (key.includes('\0')) return 'no NUL'
  if (LONE_SURROGATE.test(key)) return 'not valid Unicode'
  return undefined
}

/**
 * The names of the objects being walked, innermost last, kept as offsets into the line (a
 * decoded text only for names with escapes): checking them makes no garbage.
 */
export class NameStack {
  private readonly starts: number[] = []
  private readonly ends: number[] = []
  private readonly texts: (string | undefined)[] = []

  constructor(private readonly b: Buffer) {}

  get size(): number {
    return this.starts.length
  }

  /** Pushes the name at `start`..`end` (`text` when it had escapes); returns its index. */
  push(start: number, end: number, text: string | undefined): number {
    this.ends.push(end)
    this.texts.push(text)
    return this.starts.push(start) - 1
  }

  /** Drops the names from `size` on: an object's, at its end. */
  truncate(size: number): void {
    this.starts.length = this.ends.length = this.texts.length = size
  }

  text(k: number): string {
    return this.texts[k] ?? this.b.toString('utf8', this.starts[k], this.ends[k])
  }

  /** Its UTF-8 byte count. */
  bytes(k: number): number {
    const text = this.texts[k]
    return text === undefined ? this.ends[k] - this.starts[k] : Buffer.byteLength(text)
  }

  /** Why a store cannot keep name k, if it cannot (see nameProblem). */
  problem(k: number): string | undefined {
    if (this.texts[k] !== undefined) return nameProblem(this.texts[k])
    // Without escapes a name holds no NUL or lone surrogate: they were refused as bytes.
    const { b } = this
    const start = this.starts[k]
    const end = this.ends[k]
    if (b[start] === 0x24) return 'no leading $'
    const dot = b.indexOf(0x2e, start)
    if (dot !== -1 && dot < end) return 'no dots'
    if (end - start === 9 && b.toString('latin1', start, end) === '__proto__') return nameProblem('__proto__')
    return undefined
  }

  /** Whether name k equals one of the names from `base` (its object's) before it. */
  repeats(base: number, k: number): boolean {
    const { b, starts, ends, texts } = this
    const length = ends[k] - starts[k]
    for (let i = base; i < k; i++) {
      if (texts[i] === undefined && texts[k] === undefined) {
        if (ends[i] - starts[i] === length && b.compare(b, starts[k], ends[k], starts[i], ends[i]) === 0)
          return true
      } else if (this.text(i) === this.text(k)) return true
    }
    return false
  }

  /** The texts of names `from` to `to` (excluded). */
  textsOf(from: number, to: number): string[] {
    const all: string[] = []
    for (let i = from; i < to; i++) all.push(this.text(i))
    return all
  }

  /** An array index as a name (`"0"` to `"4294967294"`): JavaScript lists such names first. */
  isIndex(k: number): boolean {
    const text = this.texts[k]
    if (text !== undefined) return isIndexName(text)
    const { b } = this
    const start = this.starts[k]
    const end = this.ends[k]
    if (end === start || end - start > 10 || (b[start] === 0x30 && end - start > 1)) return false
    for (let p = start; p < end; p++) if (b[p] < 0x30 || b[p] > 0x39) return false
    return isIndexName(b.toString('latin1', start, end))
  }
}
