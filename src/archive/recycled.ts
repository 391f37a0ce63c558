/**
 * The tar of a container's files, written into the engine's request from a few recycled buffers.
 *
 * Read the usual way (a fresh buffer per MiB), a 256 MiB file makes 256 MiB of external memory,
 * and V8 answers with full collections of the whole heap every 64 MiB or so; on a loaded machine
 * they halved the copy's speed against `docker cp` (docs/perf.md, P4). Here each buffer is
 * reused once the request has written it, so the copy allocates nothing as it goes.
 */
import { open } from 'node:fs/promises'
import { Readable, type Writable } from 'node:stream'
import { packEntries, type RootfsEntry } from './pack'

const CHUNK = 1 << 20
/** Buffers in flight: enough to keep the engine's socket busy while the next ones are read. */
const BUFFERS = 4

/** The buffers of one upload; a chunk goes back once its write has completed. */
class BufferPool {
  private readonly free: Buffer[] = []
  private readonly waiting: ((b: Buffer | undefined) => void)[] = []
  private readonly ours = new Set<ArrayBufferLike>()
  private closed = false

  constructor(count: number, size: number) {
    for (let i = 0; i < count; i++) {
      // Slow: each its own memory, so a chunk is known by its ArrayBuffer.
      const b = Buffer.allocUnsafeSlow(size)
      this.ours.add(b.buffer)
      this.free.push(b)
    }
  }

  /** A free buffer, once there is one; undefined once the upload is over. */
  take(): Promise<Buffer | undefined> {
    if (this.closed) return Promise.resolve(undefined)
    const b = this.free.pop()
    return b ? Promise.resolve(b) : new Promise((resolve) => this.waiting.push(resolve))
  }

  /** `chunk` was written: its buffer is free again (headers and padding are not ours). */
  release(chunk: Buffer): void {
    if (this.closed || !this.ours.has(chunk.buffer)) return
    const b = Buffer.from(chunk.buffer, 0, CHUNK)
    const next = this.waiting.shift()
    if (next) next(b)
    else this.free.push(b)
  }

  close(): void {
    this.closed = true
    for (const w of this.waiting.splice(0)) w(undefined)
  }

  /** Reads a file's first `size` bytes into the pool's buffers. */
  async *chunks(path: string, size: number): AsyncGenerator<Buffer> {
    const file = await open(path, 'r')
    try {
      for (let left = size; left > 0;) {
        const b = await this.take()
        if (!b) throw new Error('the upload was stopped')
        const { bytesRead } = await file.read(b, 0, Math.min(CHUNK, left), null)
        if (bytesRead === 0) {
          this.release(b)
          break
        }
        left -= bytesRead
        yield bytesRead < CHUNK ? b.subarray(0, bytesRead) : b
      }
    } finally {
      await file.close()
    }
  }
}

/**
 * A tar stream of `entries` (as packEntries, without parents) for `Container.put`. Piped (the
 * engine client pipes it into its request), it writes recycled buffers with write callbacks;
 * read any other way, it is packEntries' stream, since a reader may keep what it was given.
 */
export function uploadTar(entries: readonly RootfsEntry[]): Readable {
  return new UploadTar(entries)
}

class UploadTar extends Readable {
  private inner: Readable | undefined
  private pumping = false

  constructor(private readonly entries: readonly RootfsEntry[]) {
    super()
  }

  override _read(): void {
    if (this.inner) {
      this.inner.resume()
      return
    }
    const inner = packEntries(this.entries, { addParents: false })
    this.inner = inner
    inner.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) inner.pause()
    })
    inner.once('end', () => this.push(null))
    inner.once('error', (err: Error) => this.destroy(err))
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.inner?.destroy()
    callback(err)
  }

  override pipe<T extends NodeJS.WritableStream>(dest: T, options?: { end?: boolean }): T {
    if (this.inner || this.pumping) return super.pipe(dest, options)
    this.pumping = true
    void this.pump(dest as unknown as Writable, options?.end ?? true)
    return dest
  }

  private async pump(dest: Writable, end: boolean): Promise<void> {
    const pool = new BufferPool(BUFFERS, CHUNK)
    const read = (path: string, size: number) => pool.chunks(path, size)
    const pack = packEntries(this.entries, { addParents: false, read })
    // The request failed or was closed: stop reading (the engine call reports why).
    const stop = () => {
      pool.close()
      pack.destroy()
    }
    dest.once('close', stop)
    try {
      for await (const chunk of pack as AsyncIterable<Buffer>) {
        if (dest.destroyed) return
        // No wait for 'drain': what is in flight is bounded by the pool (and small headers).
        dest.write(chunk, () => pool.release(chunk))
      }
      if (end) dest.end()
    } catch (err) {
      if (!dest.destroyed) this.destroy(err as Error)
    } finally {
      dest.off('close', stop)
      pool.close()
    }
  }
}
