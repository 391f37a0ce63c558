import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { StoreDatabase } from './database'

/** The folder of the file-per-document layout levrt used before the database. */
export const LEGACY_FOLDER = 'store'
const DONE = 'legacy-import'

export interface ImportReport {
  readonly collections: number
  readonly documents: number
  /** Files that were not a JSON object (half-written, hand-edited). */
  readonly skipped: number
}

/**
 * Copies results of the old layout (`LEV_HOME/store/<encodeURIComponent(collection)>/<id>.json`,
 * EJSON relaxed, the store's format too) into the database, once: the write transaction and the
 * mark in lev_meta make a second process, or a second open, skip it. Files stay as they are.
 * A document the database already holds is kept (it is newer). Undefined when already done.
 */
export function importLegacy(db: StoreDatabase, home: string): ImportReport | undefined {
  const made: string[] = []
  const report = db.write((conn): ImportReport | undefined => {
    if (db.meta(conn, DONE) !== undefined) return undefined
    let collections = 0
    let documents = 0
    let skipped = 0
    for (const folder of list(join(home, LEGACY_FOLDER))) {
      let name: string
      try {
        name = decodeURIComponent(folder)
      } catch {
        continue // not a folder the old store made
      }
      const files = list(join(home, LEGACY_FOLDER, folder)).filter((f) => f.endsWith('.json'))
      if (files.length === 0) continue
      const state = db.collection(name)
      state.ensureTable(conn)
      made.push(name)
      collections++
      // The file's name is its `_id`; json_set keeps the two equal whatever the file says.
      const insert = conn.prepare(
        `INSERT OR IGNORE INTO ${state.table} (id, doc) SELECT @id, jsonb_set(@text, '$._id', @id) ` +
          "WHERE json_valid(@text) AND json_type(@text) = 'object'",
      )
      for (const file of files.sort()) {
        let text: string
        try {
          text = readFileSync(join(home, LEGACY_FOLDER, folder, file), 'utf8')
        } catch {
          skipped++
          continue
        }
        const id = file.slice(0, -'.json'.length)
        if (insert.run({ id, text }).changes === 1) documents++
        else if (!isObjectText(text)) skipped++
      }
    }
    const report: ImportReport = { collections, documents, skipped }
    conn
      .prepare('INSERT INTO lev_meta (key, value) VALUES (?, ?)')
      .run(DONE, JSON.stringify({ at: new Date().toISOString(), ...report }))
    return report
  })
  for (const name of made) db.collection(name).committed()
  return report
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

function isObjectText(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text)
    return typeof v === 'object' && v !== null && !Array.isArray(v)
  } catch {
    return false
  }
}
