import type { SaveFields } from './json-fields'

/**
 * A stored document as it comes back from a store.
 *
 * ```ts
 * const found: StoredDoc | null = await doc.get()   // { target: 'example.com', open: [22, 80] }
 * ```
 */
export type StoredDoc = Record<string, unknown>

/**
 * A MongoDB query filter; both stores answer the same filters the same way.
 *
 * ```ts
 * const filter: Filter = { open: 443, 'hosts.status': 'up', scanned: { $gte: new Date('2026-01-01') } }
 * await doc.coll.find(filter).toArray()
 * ```
 */
export type Filter = Record<string, unknown>

/**
 * A MongoDB projection.
 *
 * ```ts
 * await doc.get({}, { open: 1 })                      // only `open`
 * await doc.coll.findOne({}, { projection: { _lev: 0 } })
 * ```
 */
export type Projection = Record<string, unknown>

/**
 * A sort order: field paths to 1 (ascending) or -1 (descending), the first key first.
 *
 * ```ts
 * await doc.coll.find({}, { sort: { '_lev.endedAt': -1 }, limit: 10 }).toArray()
 * ```
 */
export type Sort = Record<string, 1 | -1>

/**
 * Index keys: field paths (dotted for nested fields) to 1 or -1, as MongoDB takes them.
 *
 * ```ts
 * await doc.coll.createIndex({ host: 1, 'ports.port': 1 })
 * ```
 */
export type IndexKeys = Record<string, 1 | -1>

/**
 * Options of `find` on either store.
 *
 * ```ts
 * const page: FindOptions = { projection: { host: 1 }, sort: { host: 1 }, skip: 20, limit: 10 }
 * await doc.coll.find({ open: 80 }, page).toArray()
 * ```
 */
export interface FindOptions {
  readonly projection?: Projection
  readonly sort?: Sort
  readonly skip?: number
  /** At most this many documents; 0 means no limit, as in MongoDB. */
  readonly limit?: number
}

/**
 * Options of `createIndex`.
 *
 * ```ts
 * await doc.coll.createIndex({ host: 1 }, { name: 'by_host' })
 * ```
 */
export interface IndexOptions {
  /** Defaults to MongoDB's name for the keys, e.g. `_lev.key_1` or `host_1_port_-1`. */
  readonly name?: string
}

/**
 * The read side of a results collection, plus `createIndex`: the subset of MongoDB's
 * `Collection` that both stores give with the same answers. On MongoDB it is the driver's own
 * `Collection`, so the rest of its API is there too (narrow with `instanceof Collection` from
 * 'mongodb').
 *
 * ```ts
 * const coll = doc.coll                               // 'talentsec/nmap@1.0'
 * await coll.createIndex({ 'hosts.address': 1 })
 * await coll.findOne({ 'hosts.address': '10.0.0.5' })
 * await coll.countDocuments({ open: { $exists: true } })
 * ```
 */
export interface ResultCollection {
  readonly collectionName: string
  findOne(filter?: Filter, options?: Omit<FindOptions, 'limit'>): Promise<StoredDoc | null>
  find(filter?: Filter, options?: FindOptions): { toArray(): Promise<StoredDoc[]> }
  countDocuments(filter?: Filter): Promise<number>
  /** Makes an index (a no-op when it exists); resolves to its name. */
  createIndex(keys: IndexKeys, options?: IndexOptions): Promise<string>
}

/**
 * Bookkeeping of one run, kept under `_lev` where `Document.get()` does not show it.
 *
 * ```ts
 * const { exitCode, oomKilled, startedAt, endedAt, key, ok } = doc.run
 * await doc.coll.find({ '_lev.ok': false }).toArray()   // the runs that failed
 * ```
 */
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
  /** The Cr's `name` option, when given. */
  readonly name?: string
  /** Why a run that is not `ok` failed: the error's kind and message, and the tool's last lines. */
  readonly error?: { readonly kind: string; readonly message: string; readonly tail: string }
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
  save(collection: string, id: string, fields: SaveFields, run?: RunRecord): Promise<void>
  /** Every collection with documents: its name, count and newest `_id` (ids sort by time): `levrt ls`. */
  collections(): Promise<CollectionSummary[]>
  /** Whether an error of this store's client means no server answered (not that one refused). */
  unreachable(err: unknown): boolean
}

/** One collection as `Store.collections()` lists it. */
export interface CollectionSummary {
  readonly name: string
  readonly count: number
  readonly newestId: string
}
