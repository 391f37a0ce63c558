import type Sqlite from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { readRegistry, type IndexSpec } from './registry'
import { schemaNames } from './paths'

export type Connection = Sqlite.Database
export type Statement = Sqlite.Statement<unknown[], unknown>

/** The database file in LEV_HOME. */
export const STORE_FILE = 'store.db'

/**
 * How long a write waits for another process's write transaction (SQLite's busy timeout). Writes
 * are short; an import of the old layout or an index made over a million documents takes seconds.
 */
const BUSY_MS = 60_000
/** Readers kept open for later queries; more are opened while more queries run at once. */
const IDLE_READERS = 4
/** Prepared statements kept per collection and connection (the SQL depends on a filter's shape). */
const STATEMENTS = 100

const FORMAT = '1'

/**
 * One SQLite database file shared by every process using the same LEV_HOME. WAL mode: readers
 * never block the writer nor each other, and a write transaction (BEGIN IMMEDIATE) waits for
 * another process's one instead of failing. A process has one writer connection and a small
 * pool of readers: a query holds its reader for its whole run, in one read transaction (one
 * snapshot), and may yield to the event loop between rows while the writer goes on.
 */
export class StoreDatabase {
  private readonly idle: Connection[] = []
  private readonly collections = new Map<string, CollectionState>()
  private readonly versions = new WeakMap<Connection, Statement>()
  private registry: { version: number; byCollection: ReadonlyMap<string, readonly IndexSpec[]> } | undefined
  private closed = false
  private readonly tx: Sqlite.Transaction<<T>(fn: (c: Connection) => T) => T>

  private constructor(
    readonly file: string,
    private readonly writer: Connection,
  ) {
    this.tx = writer.transaction(<T>(fn: (c: Connection) => T): T => fn(writer))
  }

  static open(home: string): StoreDatabase {
    mkdirSync(home, { recursive: true })
    const file = join(home, STORE_FILE)
    const writer = connect(file)
    try {
      // WAL is a property of the file: the first process to open it sets it, the others find it.
      const mode = writer.pragma('journal_mode = WAL', { simple: true })
      if (mode !== 'wal')
        throw new Error(`${file} could not be put in WAL mode (it is in ${String(mode)} mode)`)
      // With WAL: a crashed process loses nothing, power loss at most the last commits.
      writer.pragma('synchronous = NORMAL')
      // Checkpoints (WAL back into the file, with fsync) every 32 MiB rather than SQLite's 4 MiB: a
      // save of a run with indexed fields writes a dozen pages, often the same ones as the last save.
      writer.pragma('wal_autocheckpoint = 8192')
      writer.pragma('journal_size_limit = 67108864')
      const db = new StoreDatabase(file, writer)
      db.write((c) => {
        c.exec(`CREATE TABLE IF NOT EXISTS lev_meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
          CREATE TABLE IF NOT EXISTS lev_indexes (
            coll TEXT NOT NULL, name TEXT NOT NULL, keys TEXT NOT NULL, PRIMARY KEY (coll, name));
          INSERT OR IGNORE INTO lev_meta (key, value) VALUES ('format', '${FORMAT}')`)
        const format = db.meta(c, 'format')
        if (format !== FORMAT) throw new Error(`${file} has format ${format}: it was made by a newer levrt`)
      })
      return db
    } catch (err) {
      writer.close()
      throw err
    }
  }

  /** Runs `fn` in a write transaction, committed when it returns, rolled back when it throws. */
  write<T>(fn: (c: Connection) => T): T {
    this.assertOpen()
    return this.tx.immediate(fn) as T
  }

  /** Runs `fn` on a reader of its own, in one read transaction. */
  async read<T>(fn: (c: Connection) => Promise<T> | T): Promise<T> {
    this.assertOpen()
    const conn = this.idle.pop() ?? connect(this.file, true)
    conn.exec('BEGIN')
    try {
      return await fn(conn)
    } finally {
      if (conn.inTransaction) conn.exec('COMMIT')
      if (!this.closed && this.idle.length < IDLE_READERS) this.idle.push(conn)
      else conn.close()
    }
  }

  collection(name: string): CollectionState {
    let state = this.collections.get(name)
    if (!state) this.collections.set(name, (state = new CollectionState(name)))
    return state
  }

  /** The indexes declared on a collection, as of the connection's snapshot. */
  indexes(conn: Connection, collection: string): readonly IndexSpec[] {
    let stmt = this.versions.get(conn)
    if (!stmt) this.versions.set(conn, (stmt = conn.prepare('PRAGMA schema_version').pluck()))
    // Every CREATE INDEX bumps the schema version, so the registry is re-read only then.
    const version = stmt.get() as number
    if (this.registry?.version !== version) this.registry = { version, byCollection: readRegistry(conn) }
    return this.registry.byCollection.get(collection) ?? []
  }

  /** The indexes this process last read for a collection (indexes are never dropped). */
  knownIndexes(collection: string): readonly IndexSpec[] {
    return this.registry?.byCollection.get(collection) ?? []
  }

  meta(conn: Connection, key: string): string | undefined {
    return conn.prepare('SELECT value FROM lev_meta WHERE key = ?').pluck().get(key) as string | undefined
  }

  close(): void {
    this.closed = true
    for (const c of this.idle.splice(0)) c.close()
    this.writer.close()
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`${this.file} is closed`)
  }
}

/**
 * What a process keeps per collection: its table's name, whether the table exists yet, and the
 * prepared statements of each connection, so a query of a shape seen before is not re-parsed.
 */
export class CollectionState {
  readonly names: ReturnType<typeof schemaNames>
  /** The table's quoted name. */
  readonly table: string
  private exists = false
  private readonly statements = new WeakMap<Connection, Map<string, Statement>>()

  constructor(readonly name: string) {
    this.names = schemaNames(name)
    this.table = this.names.table
  }

  /** Whether the table exists (collections are made by their first write, never dropped). */
  hasTable(conn: Connection): boolean {
    if (!this.exists)
      this.exists =
        conn
          .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
          .get(`c:${this.name}`) !== undefined
    return this.exists
  }

  /**
   * In a write transaction. Not remembered until `committed()`: the transaction may roll back.
   * `id` is the document's `_id`. `rid` numbers rows in insertion order (MongoDB's natural order)
   * and, being the declared INTEGER PRIMARY KEY, survives VACUUM: the multikey tables refer to it.
   */
  ensureTable(conn: Connection): void {
    if (!this.exists)
      conn.exec(
        `CREATE TABLE IF NOT EXISTS ${this.table} ` +
          '(rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, doc BLOB NOT NULL)',
      )
  }

  /** A write transaction that called `ensureTable` has committed. */
  committed(): void {
    this.exists = true
  }

  statement(conn: Connection, sql: string): Statement {
    let cache = this.statements.get(conn)
    if (!cache) this.statements.set(conn, (cache = new Map()))
    let stmt = cache.get(sql)
    if (stmt) {
      cache.delete(sql) // re-inserted below: the Map's order is the LRU order
    } else {
      stmt = conn.prepare(sql)
      if (cache.size >= STATEMENTS) cache.delete(cache.keys().next().value as string)
    }
    cache.set(sql, stmt)
    return stmt
  }
}

function connect(file: string, reader = false): Connection {
  // Loaded on first use: commands that never touch the embedded store do not load the addon.
  const Database = require('better-sqlite3') as typeof Sqlite
  const conn = new Database(file, { timeout: BUSY_MS })
  // 32 MiB of pages (SQLite's default is 2 MiB): index pages of large collections.
  conn.pragma('cache_size = -32768')
  conn.pragma('mmap_size = 268435456') // reads through the OS page cache, without copies
  if (reader) conn.pragma('query_only = ON')
  return conn
}
