import { lstat, opendir, readlink, stat } from 'node:fs/promises'
import { join, posix, resolve } from 'node:path'
import { OptionsError } from '../errors'
import type { FileSpec } from '../run-spec'
import type { Mount } from '../engine/engine'
import { content, type BindOf, type RootfsEntry } from './pack'

/**
 * Turns `files` into tar entries. Local files and folders become references that `pack`
 * streams later, so nothing is read into memory here; folders are walked, keeping each entry's
 * mode, and symlinks inside them stay symlinks. A missing local path is an `OptionsError`,
 * raised before anything is created.
 */
export async function fileEntries(files: readonly FileSpec[]): Promise<RootfsEntry[]> {
  const entries: RootfsEntry[] = []
  for (const { target, source } of files) {
    if (typeof source === 'string' || source instanceof Uint8Array) {
      entries.push({ ...content(target, source), mtime: new Date() })
      continue
    }
    const local = resolve(source.path)
    const info = await stat(local).catch((err: NodeJS.ErrnoException) => {
      throw new OptionsError(
        `files[${JSON.stringify(target)}]`,
        `local path ${source.path} cannot be read (${err.code ?? err.message})`,
      )
    })
    // A bind mount's entries are still listed (and hashed into the run's key), never packed.
    const bind = source.bind ? { source: local, target } : undefined
    const before = entries.length
    if (info.isDirectory()) await walk(local, target, entries)
    else if (info.isFile())
      entries.push({ kind: 'file', path: target, source: local, mode: info.mode & 0o7777, mtime: info.mtime })
    else
      throw new OptionsError(
        `files[${JSON.stringify(target)}]`,
        `local path ${source.path} is neither a file nor a folder`,
      )
    if (bind)
      for (let i = before; i < entries.length; i++) entries[i] = { ...entries[i], bind } as RootfsEntry
  }
  return entries
}

/** Splits entries into what is uploaded and the read-only bind mounts (one per bound source). */
export function splitBinds(entries: readonly RootfsEntry[]): { upload: RootfsEntry[]; mounts: Mount[] } {
  const upload: RootfsEntry[] = []
  const binds = new Map<string, BindOf>()
  for (const entry of entries) {
    const bind = entry.kind === 'content' ? undefined : entry.bind
    if (bind) binds.set(bind.target, bind)
    else upload.push(entry)
  }
  const mounts = [...binds.values()].map((b): Mount => ({
    kind: 'bind',
    source: b.source,
    target: b.target,
    readOnly: true,
  }))
  return { upload, mounts }
}

/** A bind mount needs the engine to share our disk: refused, before anything is created, when it does not. */
export function refuseRemoteBinds(local: boolean, address: string, entries: readonly RootfsEntry[]): void {
  if (local) return
  const bound = entries.find((e) => e.kind !== 'content' && e.bind)
  if (bound && bound.kind !== 'content' && bound.bind) {
    throw new OptionsError(
      `files[${JSON.stringify(bound.bind.target)}]`,
      `bind: true needs a local engine (this one is ${address}, whose host does not have ${bound.bind.source}); drop bind to copy it`,
    )
  }
}

async function walk(folder: string, target: string, entries: RootfsEntry[]): Promise<void> {
  const info = await stat(folder)
  entries.push({ kind: 'dir', path: target, mode: info.mode & 0o7777, mtime: info.mtime })
  for await (const item of await opendir(folder)) {
    const from = join(folder, item.name)
    const to = posix.join(target, item.name)
    if (item.isDirectory()) await walk(from, to, entries)
    else if (item.isSymbolicLink()) entries.push({ kind: 'symlink', path: to, target: await readlink(from) })
    else if (item.isFile()) {
      const st = await lstat(from)
      entries.push({ kind: 'file', path: to, source: from, mode: st.mode & 0o7777, mtime: st.mtime })
    }
    // Sockets, FIFOs and devices have no content to copy.
  }
}
