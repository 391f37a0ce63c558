/**
 * Describes files as a flat list of entries and packs them into a tar stream: a whole root
 * filesystem for the image builder, or the files put into a container before it starts.
 *
 * Large files are streamed from disk (with backpressure), never read whole into memory.
 */
import { once } from 'node:events'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { posix } from 'node:path'
import { Readable } from 'node:stream'
import * as tar from 'tar-stream'

/**
 * Set on the entries of a `files` source the user asked to bind-mount: they describe what the
 * container will see (so the run's key covers it) but are mounted, not packed.
 */
export interface BindOf {
  /** The local path mounted (absolute), and where. */
  readonly source: string
  readonly target: string
}

/** A file copied from the host (symlinks followed: the real file lands at `path`). */
export interface FileEntry {
  kind: 'file'
  path: string
  source: string
  /** Defaults to the source file's permission bits. */
  mode?: number
  mtime?: Date
  bind?: BindOf
}

/** A file with literal content. */
export interface ContentEntry {
  kind: 'content'
  path: string
  content: string | Uint8Array
  mode?: number
  mtime?: Date
}

export interface SymlinkEntry {
  kind: 'symlink'
  path: string
  target: string
  bind?: BindOf
}

export interface DirEntry {
  kind: 'dir'
  path: string
  mode?: number
  mtime?: Date
  bind?: BindOf
}

export type RootfsEntry = FileEntry | ContentEntry | SymlinkEntry | DirEntry

export const file = (path: string, source: string, mode?: number): FileEntry => ({
  kind: 'file',
  path,
  source,
  mode,
})
export const content = (path: string, data: string | Uint8Array, mode = 0o644): ContentEntry => ({
  kind: 'content',
  path,
  content: data,
  mode,
})
export const symlink = (path: string, target: string): SymlinkEntry => ({ kind: 'symlink', path, target })
export const dir = (path: string, mode = 0o755): DirEntry => ({ kind: 'dir', path, mode })

/** Timestamp of entries that name none, so the same inputs give the same tar. */
const MTIME = new Date('2020-01-01T00:00:00Z')

/** `/usr/bin/node` -> `usr/bin/node`; rejects relative paths and `..`. */
function tarName(path: string): string {
  if (!path.startsWith('/')) throw new Error(`rootfs path must be absolute: ${path}`)
  const name = posix.normalize(path).replace(/^\/+/, '').replace(/\/+$/, '')
  if (name === '' || name.split('/').includes('..')) throw new Error(`bad rootfs path: ${path}`)
  return name
}

/**
 * Normalizes paths, rejects conflicting duplicates and sorts so that every directory precedes
 * its contents. With `addParents`, missing parent directories are added (0755): right for a
 * root filesystem, wrong for a running image, whose existing folders (say /tmp, 1777) a
 * directory entry would reset; the engine makes missing parents itself.
 */
export function planEntries(entries: readonly RootfsEntry[], addParents: boolean): RootfsEntry[] {
  const byName = new Map<string, RootfsEntry>()
  for (const entry of entries) {
    const name = tarName(entry.path)
    const normalized = { ...entry, path: '/' + name }
    const existing = byName.get(name)
    if (existing && JSON.stringify(existing) !== JSON.stringify(normalized)) {
      throw new Error(`conflicting rootfs entries for ${entry.path}`)
    }
    byName.set(name, normalized)
  }
  for (const name of addParents ? [...byName.keys()] : []) {
    for (let parent = posix.dirname(name); parent !== '.'; parent = posix.dirname(parent)) {
      const existing = byName.get(parent)
      if (existing && existing.kind !== 'dir')
        throw new Error(`/${parent} is a ${existing.kind}, not a directory`)
      if (!existing) byName.set(parent, dir('/' + parent))
    }
  }
  return [...byName.keys()].sort().map((name) => byName.get(name)!)
}

type TarHeader = Parameters<tar.Pack['entry']>[0]

function header(entry: RootfsEntry): TarHeader {
  const mtime = entry.kind === 'symlink' ? MTIME : (entry.mtime ?? MTIME)
  return { name: tarName(entry.path), uid: 0, gid: 0, uname: 'root', gname: 'root', mtime }
}

function addBuffer(pack: tar.Pack, headers: TarHeader, data?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(headers, data ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()))
  })
}

/** Reads a local file's first `size` bytes as chunks (see FileChunks in ./recycled). */
export type ReadFile = (path: string, size: number) => AsyncIterable<Buffer>

/** A fresh buffer per MiB: right for any reader of the stream. */
const freshChunks: ReadFile = (path) => createReadStream(path, { highWaterMark: 1 << 20 })

async function addFile(pack: tar.Pack, entry: FileEntry, read: ReadFile): Promise<void> {
  const info = await stat(entry.source).catch((err: Error) => {
    throw new Error(`source of ${entry.path}: ${err.message}`)
  })
  if (!info.isFile()) throw new Error(`source of ${entry.path}: ${entry.source} is not a regular file`)
  let settle!: (err?: Error | null) => void
  const written = new Promise<void>((resolve, reject) => {
    settle = (err) => (err ? reject(err) : resolve())
  })
  written.catch(() => {}) // awaited below; don't report it as unhandled in the meantime
  const mode = entry.mode ?? info.mode & 0o7777
  const sink = pack.entry({ ...header(entry), type: 'file', size: info.size, mode }, settle)
  try {
    for await (const chunk of read(entry.source, info.size)) {
      if (!sink.write(chunk)) await Promise.race([once(sink, 'drain'), written])
    }
    sink.end(undefined) // streamx's typings insist on an argument
  } catch (err) {
    sink.destroy(err as Error)
    throw err
  }
  await written
}

async function addEntry(pack: tar.Pack, entry: RootfsEntry, read: ReadFile): Promise<void> {
  switch (entry.kind) {
    case 'file':
      return addFile(pack, entry, read)
    case 'content': {
      const data =
        typeof entry.content === 'string'
          ? Buffer.from(entry.content)
          : Buffer.from(entry.content.buffer, entry.content.byteOffset, entry.content.byteLength)
      return addBuffer(pack, { ...header(entry), type: 'file', mode: entry.mode ?? 0o644 }, data)
    }
    case 'symlink':
      return addBuffer(pack, { ...header(entry), type: 'symlink', linkname: entry.target, mode: 0o777 })
    case 'dir':
      return addBuffer(pack, { ...header(entry), type: 'directory', mode: entry.mode ?? 0o755 })
  }
}

/**
 * Packs the entries into a tar stream. Entries are written as the consumer reads, so a 100 MB
 * binary never sits in memory. A failure (say, a missing source file) destroys the stream with
 * that error.
 */
export function packEntries(
  entries: readonly RootfsEntry[],
  { addParents, read = freshChunks }: { addParents: boolean; read?: ReadFile },
): Readable {
  const plan = planEntries(entries, addParents)
  const pack = tar.pack()
  void (async () => {
    for (const entry of plan) await addEntry(pack, entry, read)
    pack.finalize()
  })().catch((err: Error) => pack.destroy(err))
  return pack as unknown as Readable
}
