/** A stored document as it comes back from a store. */
export type StoredDoc = Record<string, unknown>
export type Filter = Record<string, unknown>
export type Projection = Record<string, unknown>
/** A sort order: field paths to 1 (ascending) or -1 (descending), the first key first. */
export type Sort = Record<string, 1 | -1>
/** Index keys: field paths (dotted for nested fields) to 1 or -1, as MongoDB takes them. */
export type IndexKeys = Record<string, 1 | -1>

export interface FindOptions {
  readonly projection?: Projection
  readonly sort?: Sort
  readonly skip?: number
  /** At most this many documents; 0 means no limit, as in MongoDB. */
  readonly limit?: number
}

export interface IndexOptions {
  /** Defaults to MongoDB's name for the keys, e.g. `_lev.key_1` or `host_1_port_-1`. */
  readonly name?: string
}

/**
 * The read side of a results collection, plus `createIndex`: the subset of MongoDB's
 * `Collection` that both stores give with the same answers. On MongoDB it is the driver's own
 * `Collection`, so the rest of its API is there too (narrow with `instanceof Collection` from
 * 'mongodb').
 */
export interface ResultCollection {
  readonly collectionName: string
  findOne(filter?: Filter, options?: Omit<FindOptions, 'limit'>): Promise<StoredDoc | null>
  find(filter?: Filter, options?: FindOptions): { toArray(): Promise<StoredDoc[]> }
  countDocuments(filter?: Filter): Promise<number>
  /** Makes an index (a no-op when it exists); resolves to its name. */
  createIndex(keys: IndexKeys, options?: IndexOptions): Promise<string>
}

/** Bookkeeping of one run, kept under `RUN_FIELD` where `Document.get()` does not show it. */
export interface RunRecord {
  readonly image: string
  readonly containerId: string
  readonly exitCode: number
  readonly startedAt: Date
  readonly endedAt: Date
  /** The kernel killed the main container for memory (its `memory` limit, or the host's). */
  readonly oomKilled: boolean
  /** What decides the result (image id, entry, cmd, env, files, schema, namespace): see `reuse`. */
  readonly key: string
  /** Exit code 0 and no error (entry, records, time limit, abort): a run `reuse` may stand in for. */
  readonly ok: boolean
}

export const RUN_FIELD = '_lev'

/** MongoDB's limit for one document; the embedded store keeps it too, so both accept the same runs. */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024

/** Where results go: MongoDB or the embedded store, behind one interface. */
export interface Store {
  readonly kind: 'mongodb' | 'embedded'
  /** Names this store's target (kind, address, database): results spooled for it carry it. */
  readonly key: string
  /** Human-readable location, for messages. */
  readonly location: string
  collection(name: string): ResultCollection
  /**
   * Writes fields into a run's document (creating it if needed): top-level fields replace
   * earlier ones, like `$set`. `run` replaces the bookkeeping when given.
   */
  save(collection: string, id: string, fields: StoredDoc, run?: RunRecord): Promise<void>
}
