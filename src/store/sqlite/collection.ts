import { StoreError } from '../../errors'
import { compileFind } from '../mql/query'
import type { Filter, FindOptions, IndexKeys, IndexOptions, ResultCollection, StoredDoc } from '../store'
import type { StoreDatabase } from './database'
import { createIndex, indexSpec } from './indexes'
import { count, explain, find } from './query'

/**
 * `doc.coll` of the embedded store: MongoDB's query language and answers (see ../mql and query.ts), on one
 * collection of the database. Handles are cheap: per-collection state (table, prepared
 * statements) lives in the database object, shared by every handle of the process.
 */
export class EmbeddedCollection implements ResultCollection {
  constructor(
    private readonly database: () => StoreDatabase,
    readonly collectionName: string,
    /** The database file, for messages. */
    private readonly file: string,
  ) {}

  async findOne(filter: Filter = {}, options: Omit<FindOptions, 'limit'> = {}): Promise<StoredDoc | null> {
    return (await this.find(filter, { ...options, limit: 1 }).toArray())[0] ?? null
  }

  /** A query the store cannot answer as MongoDB does is refused (QueryError) before any read. */
  find(filter: Filter = {}, options: FindOptions = {}): { toArray(): Promise<StoredDoc[]> } {
    return {
      toArray: async () => {
        const q = compileFind(filter, options)
        return this.reading((db) => find(db, db.collection(this.collectionName), q))
      },
    }
  }

  async countDocuments(filter: Filter = {}): Promise<number> {
    const q = compileFind(filter, undefined)
    return this.reading((db) => count(db, db.collection(this.collectionName), q.filter, q.match))
  }

  async createIndex(keys: IndexKeys, options?: IndexOptions): Promise<string> {
    try {
      const db = this.database()
      return createIndex(db, db.collection(this.collectionName), indexSpec(keys, options))
    } catch (err) {
      throw new StoreError(`could not index ${this.collectionName} in ${this.file}`, err)
    }
  }

  /** @internal SQLite's EXPLAIN QUERY PLAN of a find, one line per step (tests check index use). */
  explain(filter: Filter = {}, options: FindOptions = {}): Promise<string[]> {
    compileFind(filter, options)
    return this.reading((db) => explain(db, db.collection(this.collectionName), filter, options))
  }

  private async reading<T>(fn: (db: StoreDatabase) => Promise<T>): Promise<T> {
    try {
      return await fn(this.database())
    } catch (err) {
      throw new StoreError(`could not query ${this.collectionName} in ${this.file}`, err)
    }
  }
}
