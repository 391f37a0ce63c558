import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { RootfsEntry } from '../archive/pack'

const MAX_CACHED = 10_000

/** Content digests of local files by what `stat` says of them: unchanged files are not read again. */
export class DigestCache {
  private readonly digests = new Map<string, string>()

  get(fingerprint: string): string | undefined {
    return this.digests.get(fingerprint)
  }

  set(fingerprint: string, digest: string): void {
    if (this.digests.size >= MAX_CACHED) this.digests.delete(this.digests.keys().next().value!)
    this.digests.set(fingerprint, digest)
  }
}

/**
 * One digest over what `files` puts in the container: each entry's path, kind and mode, and its
 * content (literal content hashed directly; local files streamed, once per version of the file,
 * as git's index does). Modification times are left out: the same bytes give the same key.
 */
export async function digestFiles(entries: readonly RootfsEntry[], cache: DigestCache): Promise<string> {
  const hash = createHash('sha256')
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  for (const entry of sorted) {
    switch (entry.kind) {
      case 'content':
        hash.update(
          `content ${entry.path} ${entry.mode ?? 0o644} ${createHash('sha256').update(entry.content).digest('hex')}\n`,
        )
        break
      case 'file':
        hash.update(`file ${entry.path} ${entry.mode ?? ''} ${await fileDigest(entry.source, cache)}\n`)
        break
      case 'symlink':
        hash.update(`symlink ${entry.path} ${entry.target}\n`)
        break
      case 'dir':
        hash.update(`dir ${entry.path} ${entry.mode ?? 0o755}\n`)
        break
    }
  }
  return hash.digest('hex')
}

async function fileDigest(path: string, cache: DigestCache): Promise<string> {
  const info = await stat(path, { bigint: true })
  const fingerprint = `${path}\0${info.dev}\0${info.ino}\0${info.size}\0${info.mtimeNs}\0${info.ctimeNs}`
  const known = cache.get(fingerprint)
  if (known) return known
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer)
  const digest = hash.digest('hex')
  cache.set(fingerprint, digest)
  return digest
}
