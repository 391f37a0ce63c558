import { chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * The flag of each uid+challenge, in a folder of its own under `<data>/flags/` that is
 * bind-mounted read-only at every flag volume of that uid's environments of that challenge
 * (so `/flag/flag` inside). The flag never goes into labels, the container's environment or
 * the store. A bind mount needs the folder on the engine's host: see the README for remote nodes.
 */
export class FlagFiles {
  constructor(private readonly dataDir: string) {}

  private get root(): string {
    return join(this.dataDir, 'flags')
  }

  folder(uid: number, challenge: number): string {
    return join(this.root, `${uid}-${challenge}`)
  }

  /**
   * Writes (a string), empties (null) or keeps (undefined) the folder's flag; returns the folder.
   * Written in place (not renamed over), so environments already running see the new flag.
   */
  async prepare(uid: number, challenge: number, flag: string | null | undefined): Promise<string> {
    // Only the service's user may list the flags; each folder is readable inside its containers.
    await mkdir(this.root, { recursive: true, mode: 0o700 })
    const folder = this.folder(uid, challenge)
    await mkdir(folder, { recursive: true, mode: 0o755 })
    await chmod(folder, 0o755)
    const file = join(folder, 'flag')
    if (flag === null) await rm(file, { force: true })
    else if (flag !== undefined) await writeFile(file, flag, { mode: 0o644 })
    return folder
  }

  /** The uid+challenge pairs that have a flag folder. */
  async list(): Promise<{ uid: number; challenge: number }[]> {
    const entries = await readdir(this.root).catch(() => [] as string[])
    return entries.flatMap((name) => {
      const m = /^(\d+)-(\d+)$/.exec(name)
      return m ? [{ uid: Number(m[1]), challenge: Number(m[2]) }] : []
    })
  }

  async remove(uid: number, challenge: number): Promise<void> {
    await rm(this.folder(uid, challenge), { recursive: true, force: true })
  }
}
