import type Sqlite from 'better-sqlite3'

/** One index as `createIndex` declared it, kept in the `lev_indexes` table. */
export interface IndexSpec {
  readonly name: string
  readonly keys: readonly (readonly [path: string, direction: 1 | -1])[]
}

/** The declared indexes of every collection. */
export function readRegistry(conn: Sqlite.Database): Map<string, IndexSpec[]> {
  const rows = conn.prepare('SELECT coll, name, keys FROM lev_indexes ORDER BY rowid').all() as {
    coll: string
    name: string
    keys: string
  }[]
  const byCollection = new Map<string, IndexSpec[]>()
  for (const r of rows) {
    const list = byCollection.get(r.coll) ?? []
    list.push({ name: r.name, keys: JSON.parse(r.keys) as IndexSpec['keys'] })
    byCollection.set(r.coll, list)
  }
  return byCollection
}
