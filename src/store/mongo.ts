import {
  Collection,
  MongoClient,
  MongoNetworkError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  type Db,
} from 'mongodb'
import { StoreError } from '../errors'
import { fieldsObject, type SaveFields } from './json-fields'
import { RUN_FIELD, type CollectionSummary, type ResultCollection, type RunRecord, type Store } from './store'

/** How long an idle connection is kept before it is closed so the host process can exit. */
const IDLE_MS = 200

/**
 * Results in MongoDB through the official driver. An open MongoClient keeps Node's event loop
 * alive, and scripts must not hang at their end, so the client is leased: every operation
 * (ours, and any call a user makes on `doc.coll`) holds a lease, and the client is closed
 * shortly after the last lease ends. The next operation opens a new one.
 */
export class MongoStore implements Store {
  readonly kind = 'mongodb'
  private client: MongoClient | undefined
  private leases = 0
  private idle: NodeJS.Timeout | undefined

  constructor(
    private readonly url: string,
    private readonly dbName: string,
  ) {}

  get key(): string {
    return `mongodb ${this.url} ${this.dbName}`
  }

  get location(): string {
    return `${redact(this.url)} (database ${this.dbName})`
  }

  collection(name: string): ResultCollection {
    const target = this.db(this.acquire()).collection(name)
    this.release()
    // The proxy forwards each call to the collection of the client that is live at that moment.
    return new Proxy(target, {
      get: (t, prop) => {
        const value: unknown = Reflect.get(t, prop)
        if (typeof value !== 'function') return value
        return (...args: unknown[]) => this.call(name, prop, args)
      },
    }) as unknown as ResultCollection
  }

  async save(collection: string, id: string, fields: SaveFields, run?: RunRecord): Promise<void> {
    const plain = fieldsObject(fields)
    const set = run ? { ...plain, [RUN_FIELD]: run } : plain
    const client = this.acquire()
    try {
      const coll = this.db(client).collection<{ _id: string }>(collection)
      // A run's final save nearly always creates its document, and servers insert faster than
      // they upsert (FerretDB by 1.3-1.9x for 8 MB); merging is the fallback.
      const created = run
        ? await coll.insertOne({ _id: id, ...set }).then(() => true, ignoreDuplicate)
        : false
      if (!created) await coll.updateOne({ _id: id }, { $set: set }, { upsert: true })
    } catch (err) {
      throw new StoreError(`could not write to ${collection} at ${this.location}`, err, isUnreachable(err))
    } finally {
      this.release()
    }
  }

  unreachable(err: unknown): boolean {
    return isUnreachable(err)
  }

  async collections(): Promise<CollectionSummary[]> {
    const db = this.db(this.acquire())
    try {
      const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name)
      const found = await Promise.all(
        names.map(async (name) => {
          const coll = db.collection<{ _id: string }>(name)
          const newestDoc = coll.findOne({}, { sort: { _id: -1 }, projection: { _id: 1 } })
          const [count, newest] = await Promise.all([coll.countDocuments(), newestDoc])
          return newest ? [{ name, count, newestId: String(newest._id) }] : []
        }),
      )
      return found.flat()
    } catch (err) {
      throw new StoreError(`could not list the collections at ${this.location}`, err, isUnreachable(err))
    } finally {
      this.release()
    }
  }

  /** Closes the connection now (it would close by itself when idle). */
  async close(): Promise<void> {
    clearTimeout(this.idle)
    const client = this.client
    this.client = undefined
    await client?.close()
  }

  private call(name: string, method: string | symbol, args: unknown[]): unknown {
    const live = this.db(this.acquire()).collection(name) as unknown as Record<
      string | symbol,
      (...a: unknown[]) => unknown
    >
    let result: unknown
    try {
      result = live[method](...args)
    } catch (err) {
      this.release()
      throw err
    }
    if (result instanceof Promise) return result.finally(() => this.release())
    // Cursors and change streams hold the lease until they close.
    const closable = result as { once?: (event: string, cb: () => void) => unknown } | undefined
    if (typeof closable?.once === 'function' && !(result instanceof Collection))
      closable.once('close', () => this.release())
    else this.release()
    return result
  }

  private acquire(): MongoClient {
    clearTimeout(this.idle)
    this.leases++
    // 10 s to find a server unless the URL says otherwise (the driver's 30 s is long for a script).
    this.client ??= new MongoClient(this.url, {
      ...(/serverSelectionTimeoutMS=/i.test(this.url) ? {} : { serverSelectionTimeoutMS: 10_000 }),
      // The driver's default `{}` makes bson look fields up by name in it, so an array under a
      // name of Object.prototype (`toString`, `constructor`) came back as raw BSON bytes.
      fieldsAsRaw: Object.create(null) as Record<string, boolean>,
    })
    return this.client
  }

  private release(): void {
    if (--this.leases > 0) return
    this.idle = setTimeout(() => void this.close().catch(() => undefined), IDLE_MS)
  }

  private db(client: MongoClient): Db {
    return client.db(this.dbName)
  }
}

/** A duplicate `_id` means the document exists (say, from a spooled retry): merge instead. */
function ignoreDuplicate(err: unknown): false {
  if (err instanceof MongoServerError && err.code === 11000) return false
  throw err
}

/** No server answered (as opposed to a server refusing the operation). */
function isUnreachable(err: unknown): boolean {
  return (
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNetworkError ||
    err instanceof MongoTopologyClosedError
  )
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@')
}
