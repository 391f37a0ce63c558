import { join } from 'node:path'
import { StoreError } from '../errors'
import { EmbeddedCollection } from './sqlite/collection'
import { StoreDatabase, STORE_FILE } from './sqlite/database'
import { importLegacy, type ImportReport } from './sqlite/import'
import { saveDocument } from './sqlite/save'
import { sqlName } from './sqlite/paths'
import type { SaveFields } from './json-fields'
import type { CollectionSummary, ResultCollection, RunRecord, Store } from './store'

/**
 * Results on local disk, no server: one SQLite database, `LEV_HOME/store.db` (see ./sqlite).
 * Several processes may share it. Opened on first use; results of the older file-per-document
 * layout in `LEV_HOME/store/` are imported then, once.
 */
export class EmbeddedStore implements Store {
  readonly kind = 'embedded'
  private db: StoreDatabase | undefined
  /** @internal What this process imported from the old layout when it opened the database (tests). */
  imported: ImportReport | undefined

  constructor(readonly home: string) {}

  get location(): string {
    return join(this.home, STORE_FILE)
  }

  get key(): string {
    return `embedded ${this.home}`
  }

  collection(name: string): ResultCollection {
    return new EmbeddedCollection(() => this.database(), name, this.location)
  }

  async save(collection: string, id: string, fields: SaveFields, run?: RunRecord): Promise<void> {
    try {
      saveDocument(this.database(), collection, id, fields, run)
    } catch (err) {
      throw new StoreError(`could not write ${collection} ${id} to ${this.location}`, err)
    }
  }

  /** A local file: there is no server to miss. */
  unreachable(): boolean {
    return false
  }

  async collections(): Promise<CollectionSummary[]> {
    return this.database().read((conn) => {
      const tables = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'c:%'")
        .all() as { name: string }[]
      return tables.flatMap(({ name }) => {
        const row = conn
          .prepare(`SELECT count(*) AS count, max(id) AS newestId FROM ${sqlName(name)}`)
          .get() as { count: number; newestId: string | null }
        return row.newestId === null
          ? []
          : [{ name: name.slice('c:'.length), count: row.count, newestId: row.newestId }]
      })
    })
  }

  /** Closes the database; the next use opens it again. */
  close(): void {
    const db = this.db
    this.db = undefined
    db?.close()
  }

  private database(): StoreDatabase {
    if (!this.db) {
      const db = StoreDatabase.open(this.home)
      try {
        this.imported = importLegacy(db, this.home)
      } catch (err) {
        db.close()
        throw err
      }
      this.db = db
    }
    return this.db
  }
}
