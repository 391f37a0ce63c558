import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { content, dir, file, packEntries, type RootfsEntry } from '../../src/archive/pack'
import { uploadTar } from '../../src/archive/recycled'
import { rejection } from '../support/async'

const folders: string[] = []
afterEach(() => {
  for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true })
})

function entries(): RootfsEntry[] {
  const folder = mkdtempSync(join(tmpdir(), 'levrt-upload-'))
  folders.push(folder)
  // Sizes around the 1 MiB chunk, and more chunks than the pool has buffers.
  const sizes = [0, 1, (1 << 20) - 1, 1 << 20, (5 << 20) + 7]
  return [
    dir('/d'),
    content('/d/x.txt', 'hello'),
    ...sizes.map((size, i) => {
      const path = join(folder, `f${i}`)
      writeFileSync(path, randomBytes(size))
      return file(`/d/f${i}`, path, 0o600)
    }),
  ]
}

/**
 * A request that sends each chunk a tick after it was given (as a socket does) and only then
 * copies it: a buffer reused before its write completed would show as wrong bytes.
 */
function request(): { dest: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = []
  const dest = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      setImmediate(() => {
        chunks.push(Buffer.from(chunk))
        callback()
      })
    },
  })
  return { dest, bytes: () => Buffer.concat(chunks) }
}

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks)
}

describe('the upload tar', () => {
  it('piped, writes the same bytes as packEntries from its recycled buffers', async () => {
    const list = entries()
    const want = await readAll(packEntries(list, { addParents: false }))
    const { dest, bytes } = request()
    uploadTar(list).pipe(dest)
    await new Promise((resolve, reject) => dest.once('finish', resolve).once('error', reject))
    expect(bytes().equals(want)).toBe(true)
  })

  it('read any other way, is packEntries stream', async () => {
    const list = entries()
    const want = await readAll(packEntries(list, { addParents: false }))
    expect((await readAll(uploadTar(list))).equals(want)).toBe(true)
  })

  it('piped, fails with the error of a file that cannot be read', async () => {
    const tar = uploadTar([file('/gone', '/nonexistent/levrt-upload-test')])
    const failed = new Promise((_, reject) => tar.once('error', reject))
    tar.pipe(request().dest)
    expect(String(await rejection(failed))).toMatch(/nonexistent/)
  })

  it('stops reading when the request goes away', async () => {
    const { dest } = request()
    const tar = uploadTar(entries())
    tar.on('error', () => undefined)
    tar.pipe(dest)
    dest.destroy()
    await new Promise((resolve) => dest.once('close', resolve))
    // Nothing hangs and nothing throws: the pool is closed and the pack destroyed.
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(dest.destroyed).toBe(true)
  })
})
