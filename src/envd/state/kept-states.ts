import { EJSON } from 'bson'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { StoredDoc } from '../../store'

/**
 * States the store never took, kept in the data folder when the service stops while the store
 * is down (EJSON: dates stay dates). The next start writes them before it reads the store.
 */
export async function keepStates(path: string, docs: readonly StoredDoc[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  await writeFile(`${path}.tmp`, EJSON.stringify(docs, { relaxed: false }))
  await rename(`${path}.tmp`, path)
}

/** The kept states, or none when there is no file. */
export async function keptStates(path: string): Promise<StoredDoc[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  return EJSON.parse(text, { relaxed: false }) as StoredDoc[]
}

export function forgetStates(path: string): Promise<void> {
  return rm(path, { force: true })
}
