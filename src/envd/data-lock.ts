import { open, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { processExists, processStart } from '../docker/labels'

/**
 * One service per data folder: its caps and ports are counted in this process, which holds
 * only if no other service works on the same environments. `<data>/envd.lock` names the owner
 * (pid and start time); a lock whose owner is gone is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = join(dataDir, 'envd.lock')
  const mine = `${process.pid} ${processStart(process.pid) ?? ''}\n`
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600)
      await handle.writeFile(mine)
      await handle.close()
      return async () => {
        if ((await readFile(file, 'utf8').catch(() => '')) === mine) await rm(file, { force: true })
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const [pid, start] = (await readFile(file, 'utf8').catch(() => '')).trim().split(' ')
      const alive =
        Number(pid) > 0 && processExists(Number(pid)) && (!start || processStart(Number(pid)) === start)
      if (alive)
        throw new Error(
          `${dataDir} is in use by another levrt envd (pid ${pid}); one service per data folder`,
          { cause: err },
        )
      await rm(file, { force: true })
    }
  }
  throw new Error(`could not lock ${file}`)
}
