/** Past this, a line's pieces are copied into one buffer as they come, not kept until its end. */
const SPILL_BYTES = 1 << 20

/**
 * The bytes of the line being read. A short line keeps the chunks' pieces and is joined at its
 * end (one copy). A long one is copied as it streams into one buffer sized for what can still
 * come (`room`: the rest of the file when its size is known), so its chunks are let go at once:
 * an 8 MB line is held once, not as its chunks and their join. Pages of the buffer that the line
 * does not reach are never touched.
 */
export class LineBuffer {
  private pieces: Buffer[] = []
  private whole: Buffer | undefined
  length = 0

  /** `room(atLeast)`: how large a buffer to take for a line that has reached `atLeast` bytes. */
  constructor(private readonly room: (atLeast: number) => number) {}

  add(part: Buffer): void {
    if (part.length === 0) return
    const length = this.length + part.length
    if (this.whole && length > this.whole.length) this.whole = this.moved(this.whole, length)
    if (this.whole) part.copy(this.whole, this.length)
    else {
      this.pieces.push(part)
      if (length > SPILL_BYTES) {
        this.whole = Buffer.allocUnsafe(Math.max(length, this.room(length)))
        Buffer.concat(this.pieces, length).copy(this.whole) // rare: once per long line
        this.pieces = []
      }
    }
    this.length = length
  }

  /** Whether the line holds only spaces, tabs and carriage returns (or nothing). */
  blank(): boolean {
    const parts = this.whole ? [this.whole.subarray(0, this.length)] : this.pieces
    for (const part of parts)
      for (const c of part)
        if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0b && c !== 0x0c) return false
    return true
  }

  /** The line's bytes; the buffer starts over empty. */
  take(): Buffer {
    const line = this.whole ? this.whole.subarray(0, this.length) : Buffer.concat(this.pieces, this.length)
    this.clear()
    return line
  }

  clear(): void {
    this.pieces = []
    this.whole = undefined
    this.length = 0
  }

  private moved(from: Buffer, atLeast: number): Buffer {
    const to = Buffer.allocUnsafe(Math.max(atLeast, this.room(atLeast), from.length * 2))
    from.copy(to, 0, 0, this.length)
    return to
  }
}
