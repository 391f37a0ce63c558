import type { Store, StoredDoc } from '../../store'
import { StoreDownError } from '../errors'
import { KeyedMutex } from '../lock'
import { forgetStates, keepStates, keptStates } from './kept-states'
import { StoreGuard } from './store-guard'
import { STATUS, type EnvRecord, type StoredStatus } from './types'

/** Where environments are kept in the levrt store, and the id counter beside them. */
export const ENV_COLLECTION = 'levrt/envd@1.0'
export const META_COLLECTION = 'levrt/envd-meta@1.0'

/**
 * Environments in the levrt store (MongoDB or the embedded one, through the Store interface
 * only). The service is this collection's only writer, so it reads everything once at start
 * and writes through on every change; saves of one environment are chained so that a later
 * state never lands before an earlier one. While the store does not answer, writes fail with a
 * StoreDownError (see StoreGuard); a record whose save failed so is saved again (its state by
 * then) by `retryUnsaved`, so nothing the service went on with is lost to the store.
 */
export class EnvRepository {
  private readonly saves = new KeyedMutex<number>()
  private readonly guard = new StoreGuard()
  private readonly unsaved = new Map<number, EnvRecord>()
  private retrying: Promise<void> | undefined

  constructor(
    private readonly store: Store,
    /** Instances other than `default` keep their own collections, namespaced like levrt's (`name|levrt/envd@1.0`). */
    private readonly instance = 'default',
    /** Where states the store never took are kept when the service stops (see `flush`). */
    private readonly keptPath?: string,
  ) {}

  get envs(): string {
    return this.instance === 'default' ? ENV_COLLECTION : `${this.instance}|${ENV_COLLECTION}`
  }

  private get meta(): string {
    return this.instance === 'default' ? META_COLLECTION : `${this.instance}|${META_COLLECTION}`
  }

  /** Every environment that is not DELETED: the service's working set. */
  async loadUndeleted(): Promise<EnvRecord[]> {
    const coll = this.store.collection(this.envs)
    await coll.createIndex({ status: 1 })
    const docs = await coll
      .find({ status: { $in: [STATUS.creating, STATUS.created, STATUS.error] } })
      .toArray()
    return docs.map(fromDoc)
  }

  async find(id: number): Promise<EnvRecord | undefined> {
    const doc = await this.guard.run(`read environment ${id}`, () =>
      this.store.collection(this.envs).findOne({ _id: String(id) }),
    )
    return doc ? fromDoc(doc) : undefined
  }

  /** The next id's floor as stored; ids are never reused, even across restarts. */
  async lastId(): Promise<number> {
    const doc = await this.store.collection(this.meta).findOne({ _id: 'counter' })
    return typeof doc?.last === 'number' ? doc.last : 0
  }

  async saveLastId(last: number): Promise<void> {
    await this.guard.run('count the new environment', () => this.store.save(this.meta, 'counter', { last }))
  }

  /** Writes the record's current state (after those saved before it). */
  save(record: EnvRecord): Promise<void> {
    const doc = toDoc(record)
    return this.saves.run(record.id, async () => {
      try {
        await this.guard.run(`save environment ${record.id}`, () =>
          this.store.save(this.envs, String(record.id), doc),
        )
        this.unsaved.delete(record.id)
        // The store answers again: what it missed goes now, not only at the next reap.
        if (this.unsaved.size) void this.retryUnsaved().catch(() => undefined)
      } catch (err) {
        if (err instanceof StoreDownError) this.unsaved.set(record.id, record)
        throw err
      }
    })
  }

  /**
   * Like `save`, for a change the service has made already (a deploy's outcome, a delete): while
   * the store is down the record waits for `retryUnsaved`. Resolves false when it waits.
   */
  async saveOrDefer(record: EnvRecord): Promise<boolean> {
    try {
      await this.save(record)
      return true
    } catch (err) {
      if (err instanceof StoreDownError) return false
      throw err
    }
  }

  /** Saves again, as they are now, the records whose last save found the store down. */
  retryUnsaved(): Promise<void> {
    if (this.guard.down || !this.unsaved.size) return Promise.resolve()
    return (this.retrying ??= (async () => {
      for (const record of [...this.unsaved.values()]) await this.save(record)
    })().finally(() => (this.retrying = undefined)))
  }

  /**
   * Resolves once every save begun so far has settled; what the store still lacks then (it is
   * down) is kept in a file for the next start.
   */
  async flush(): Promise<void> {
    await this.saves.idle()
    await this.retryUnsaved().catch(() => undefined)
    if (this.keptPath && this.unsaved.size)
      await keepStates(this.keptPath, [...this.unsaved.values()].map(toDoc))
  }

  /** At start, before reading: writes the states the last run kept (see `flush`); returns how many. */
  async restoreKept(): Promise<number> {
    if (!this.keptPath) return 0
    const docs = await keptStates(this.keptPath)
    for (const doc of docs) await this.store.save(this.envs, String(doc.id), doc)
    await forgetStates(this.keptPath)
    return docs.length
  }
}

function toDoc(r: EnvRecord): StoredDoc {
  return {
    id: r.id,
    uid: r.uid,
    challenge: r.challenge,
    compose_file: r.composeFile,
    status: r.status,
    expire: r.expire,
    created: r.created,
    node_ip: r.nodeIp,
    node_port: r.nodePort,
    reason: r.reason ?? null,
    deleted: r.deleted ?? null,
  }
}

function fromDoc(d: StoredDoc): EnvRecord {
  const date = (v: unknown) => (v instanceof Date ? v : new Date(v as string))
  return {
    id: Number(d.id),
    uid: Number(d.uid),
    challenge: Number(d.challenge),
    composeFile: String(d.compose_file),
    status: Number(d.status) as StoredStatus,
    expire: date(d.expire),
    created: date(d.created),
    nodeIp: typeof d.node_ip === 'string' ? d.node_ip : null,
    nodePort: typeof d.node_port === 'number' ? d.node_port : null,
    reason: typeof d.reason === 'string' ? d.reason : undefined,
    deleted: d.deleted ? date(d.deleted) : undefined,
  }
}
