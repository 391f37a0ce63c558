import { PassThrough, type Readable } from 'node:stream'
import type { Output } from './engine/engine'

/** How much of each stream is kept for a subscriber that comes late (oldest dropped first). */
export const REPLAY_BYTES = 1 << 20

/**
 * One stream of a container's output, read from its first byte whether or not anyone listens.
 * Until someone subscribes, the last `REPLAY_BYTES` are kept and replayed to the subscriber;
 * after that, chunks go straight through. The engine is never slowed down by a slow reader.
 */
class Channel {
  private replay: Buffer[] = []
  private replayBytes = 0
  private subscriber: PassThrough | undefined
  private ended = false

  constructor(source: Readable, tap: (chunk: Buffer) => void) {
    source.on('data', (chunk: Buffer) => {
      tap(chunk)
      this.push(chunk)
    })
    source.once('end', () => {
      this.ended = true
      this.subscriber?.end()
    })
  }

  subscribe(): Readable {
    if (!this.subscriber) {
      this.subscriber = new PassThrough()
      for (const chunk of this.replay) this.subscriber.write(chunk)
      this.replay = []
      if (this.ended) this.subscriber.end()
    }
    return this.subscriber
  }

  private push(chunk: Buffer): void {
    if (this.subscriber) {
      this.subscriber.write(chunk)
      return
    }
    this.replay.push(chunk)
    this.replayBytes += chunk.length
    while (this.replayBytes > REPLAY_BYTES && this.replay.length > 1) this.replayBytes -= this.replay.shift()!.length
  }
}

export type OutputTap = (stream: 'stdout' | 'stderr', chunk: Buffer) => void

/** A container's stdout and stderr, kept apart. */
export class OutputHub {
  private readonly out: Channel
  private readonly err: Channel
  private readonly taps: OutputTap[] = []

  constructor(private readonly output: Output) {
    this.out = new Channel(output.stdout, (chunk) => this.tapped('stdout', chunk))
    this.err = new Channel(output.stderr, (chunk) => this.tapped('stderr', chunk))
  }

  /** Sees every chunk as it arrives (the live log, idle detection), without consuming the streams. */
  tap(listener: OutputTap): void {
    this.taps.push(listener)
  }

  private tapped(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    for (const tap of this.taps) tap(stream, chunk)
  }

  get stdout(): Readable {
    return this.out.subscribe()
  }

  get stderr(): Readable {
    return this.err.subscribe()
  }

  /** Settles once the engine has sent all output. */
  get ended(): Promise<void> {
    return this.output.ended
  }
}
