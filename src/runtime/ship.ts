import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { content, dir, type RootfsEntry } from '../archive/pack'
import { ENTRY, type Entry } from '../entry'
import { OUT_DIR, RECORDS_FILE } from '../results/records'

/** What a container runs for an entry: its own node, on our runtime. */
export const ENTRY_COMMAND = ['node', '/.levrt/lev-runtime.js'] as const

let files: { runtime: Buffer; tslib: Buffer } | undefined

/**
 * The files levrt puts in every container: the results folder (writable by any user, so a tool
 * that drops privileges can still write records) and, for an entry, the runtime, TypeScript's
 * helpers and the entry itself.
 */
export function levEntries(entry: Entry | undefined): RootfsEntry[] {
  const entries: RootfsEntry[] = [dir('/.levrt', 0o755), dir(OUT_DIR, 0o1777)]
  if (entry) {
    files ??= { runtime: readFileSync(join(__dirname, 'lev-runtime.js')), tslib: readFileSync(require.resolve('tslib/tslib.js')) }
    entries.push(
      content('/.levrt/lev-runtime.js', files.runtime),
      content('/.levrt/tslib.js', files.tslib),
      content('/.levrt/entry.json', JSON.stringify(entry[ENTRY])),
    )
  }
  return entries
}

/** Environment every container gets: where to write records (any language can). */
export function levEnv(runId: string): string[] {
  return [`LEV_RECORDS=${RECORDS_FILE}`, `LEV_RUN_ID=${runId}`]
}
