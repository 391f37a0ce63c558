import type { Readable } from 'node:stream'
import type { Output } from './engine/engine'
import { Channel } from './output-channel'

export { REPLAY_BYTES, UNREAD_BYTES } from './output-channel'

export type OutputTap = (stream: 'stdout' | 'stderr', chunk: Buffer) => void

/**
 * A container's stdout and stderr, kept apart, each read from its first byte whether or not
 * anyone listens, and never slowed by a slow reader (see `Channel`).
 */
export class OutputHub {
  private readonly out: Channel
  private readonly err: Channel
  private readonly taps: OutputTap[] = []

  constructor(private readonly output: Output) {
    this.out = new Channel('stdout', output.stdout, (chunk) => this.tapped('stdout', chunk))
    this.err = new Channel('stderr', output.stderr, (chunk) => this.tapped('stderr', chunk))
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
