import { Readable } from 'node:stream'

/** How much of a stream is kept for a subscriber that comes late (oldest dropped first). */
export const REPLAY_BYTES = 1 << 20

/** How far a subscriber may fall behind before the oldest chunks it has not read are dropped. */
export const UNREAD_BYTES = 4 << 20

const NEWLINE = 0x0a

/**
 * One stream of a container's output. The source is read as fast as the engine sends it, so
 * the container is never slowed down; what no one has read yet waits in a bounded queue:
 * `REPLAY_BYTES` until someone subscribes (replayed to the subscriber), `UNREAD_BYTES` after,
 * while the subscriber is slow. Beyond that the oldest chunks are dropped, and the subscriber
 * reads a marker line in their place: `[levrt: N bytes of stdout dropped here: ...]`.
 */
export class Channel {
  private queue: Buffer[] = []
  private queued = 0
  private dropped = 0
  private subscriber: Readable | undefined
  /** The subscriber asked for more and nothing was queued: the next chunk goes straight on. */
  private wanting = false
  /** Whether the last byte given to the subscriber ended a line, so a marker starts on its own. */
  private atLineStart = true
  private ended = false

  constructor(
    private readonly name: 'stdout' | 'stderr',
    source: Readable,
    tap: (chunk: Buffer) => void,
  ) {
    source.on('data', (chunk: Buffer) => {
      tap(chunk)
      this.push(chunk)
    })
    source.once('end', () => {
      this.ended = true
      if (this.wanting) this.flush()
    })
  }

  subscribe(): Readable {
    this.subscriber ??= new Readable({
      read: () => this.flush(),
      destroy: (err, done) => {
        // A reader that gave up keeps nothing queued for it.
        this.queue = []
        this.queued = 0
        done(err)
      },
    })
    return this.subscriber
  }

  private push(chunk: Buffer): void {
    if (this.subscriber?.destroyed) return
    this.queue.push(chunk)
    this.queued += chunk.length
    const bound = this.subscriber ? UNREAD_BYTES : REPLAY_BYTES
    while (this.queued > bound && this.queue.length > 1) {
      const oldest = this.queue.shift()!
      this.queued -= oldest.length
      this.dropped += oldest.length
    }
    if (this.wanting) this.flush()
  }

  /** Gives the subscriber queued chunks until it has enough (its highWaterMark). */
  private flush(): void {
    const reader = this.subscriber!
    if (reader.destroyed) return
    this.wanting = true
    while (this.wanting && this.queue.length > 0) {
      if (this.dropped > 0) this.wanting = this.give(this.marker())
      const chunk = this.queue.shift()!
      this.queued -= chunk.length
      this.wanting = this.give(chunk) && this.wanting
    }
    if (this.ended && this.queue.length === 0) {
      this.wanting = false
      reader.push(null)
    }
  }

  private give(chunk: Buffer): boolean {
    if (chunk.length > 0) this.atLineStart = chunk[chunk.length - 1] === NEWLINE
    return this.subscriber!.push(chunk)
  }

  /** The line that stands for the bytes dropped since the subscriber last read. */
  private marker(): Buffer {
    const text = `[levrt: ${this.dropped} bytes of ${this.name} dropped here: the reader fell behind]\n`
    this.dropped = 0
    return Buffer.from(this.atLineStart ? text : `\n${text}`)
  }
}
