import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * The flag of each uid+challenge, kept under `<data>/flags/` (readable by the service's user
 * only) so that a deploy a restart cut short resumes with it; each environment gets a copy in
 * a flag volume of its own (`flag-volume.ts`). The flag never goes into labels, the container's
 * environment or the store.
 */
export class FlagFiles {
  constructor(private readonly dataDir: string) {}

  private get root(): string {
    return join(this.dataDir, 'flags')
  }

  folder(uid: number, challenge: number): string {
    return join(this.root, `${uid}-${challenge}`)
  }

  /** Writes (a string), empties (null) or keeps (undefined) the flag; answers what it now is. */
  async prepare(uid: number, challenge: number, flag: string | null | undefined): Promise<string | null> {
    await mkdir(this.root, { recursive: true, mode: 0o700 })
    const folder = this.folder(uid, challenge)
    await mkdir(folder, { recursive: true, mode: 0o700 })
    const file = join(folder, 'flag')
    if (flag === null) await rm(file, { force: true })
    else if (flag !== undefined) await writeFile(file, flag, { mode: 0o600 })
    if (flag !== undefined) return flag
    return readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null
      throw err
    })
  }

  /** The uid+challenge pairs that have a flag folder. */
  async list(): Promise<{ uid: number; challenge: number }[]> {
    const entries = await readdir(this.root).catch(() => [] as string[])
    return entries.flatMap((name) => {
      const m = /^(\d+)-(\d+)$/.exec(name)
      return m ? [{ uid: Number(m[1]), challenge: Number(m[2]) }] : []
    })
  }

  /** Removes the flags of every uid+challenge that `inUse` does not name. */
  async keepOnly(inUse: Iterable<{ readonly uid: number; readonly challenge: number }>): Promise<void> {
    const keep = new Set([...inUse].map((d) => `${d.uid}-${d.challenge}`))
    for (const f of await this.list())
      if (!keep.has(`${f.uid}-${f.challenge}`)) await this.remove(f.uid, f.challenge)
  }

  async remove(uid: number, challenge: number): Promise<void> {
    await rm(this.folder(uid, challenge), { recursive: true, force: true })
  }
}
