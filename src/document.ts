import { diff, type Change } from './history/changes'
import { latestRun } from './history/lookup'
import { visibleProjection } from './store/projection'
import type { Filter, Projection, ResultCollection, RunRecord, StoredDoc } from './store'

/**
 * Where one run's results are: its collection and the filter that finds its document.
 *
 * ```ts
 * const doc = await scan('example.com')
 * doc.coll.collectionName                        // 'ts/issues@1.0'
 * doc.exitCode, doc.run.startedAt, doc.filters   // 0, a Date, { _id: '66a1f0c2e4b5a3d2c1b0a9f8' }
 * await doc.get()                                // { target: 'example.com', issues: ['Some issues'] }
 * await doc.coll.countDocuments({ target: 'example.com' })   // every run that scanned it
 * ```
 */
export class Document {
  /** @internal Made by a finished run, or a lookup of an earlier one. */
  constructor(
    readonly coll: ResultCollection,
    id: string,
    /** Bookkeeping: image, container id, exit code, times, OOM kill, key, success. */
    readonly run: RunRecord,
    /** True when `reuse` returned this earlier run instead of starting a container. */
    readonly reused = false,
  ) {
    this.filters = Object.freeze({ _id: id })
  }

  /** `{ _id }` of this run's document. */
  readonly filters: Readonly<{ _id: string }>

  /** The container's exit code: a non-zero exit is recorded, not thrown. */
  get exitCode(): number {
    return this.run.exitCode
  }

  /**
   * `findOne({ ...query, ...filters }, { projection })`: the fields the run stored, without
   * `_id` or bookkeeping unless the projection names them. Null when `query` does not match.
   *
   * ```ts
   * const doc = await scan('example.com')
   * await doc.get()                       // { target: 'example.com', issues: [...] }
   * await doc.get({}, { issues: 1 })      // { issues: [...] }
   * ```
   */
  get<T extends StoredDoc = StoredDoc>(query: Filter = {}, projection?: Projection): Promise<T | null> {
    return this.coll.findOne(
      { ...query, ...this.filters },
      { projection: visibleProjection(projection) },
    ) as Promise<T | null>
  }

  /**
   * The latest earlier run with the same key (`run.key`: the same image, entry, cmd, env, files,
   * schema and namespace), successful or not, or null.
   *
   * ```ts
   * const before = await (await scan('example.com')).previous()
   * ```
   */
  async previous(): Promise<Document | null> {
    const found = await latestRun(this.coll, this.run.key, { _id: { $lt: this.filters._id } })
    return found ? new Document(this.coll, found.id, found.run) : null
  }

  /**
   * What changed in the stored results since `since` (default: `previous()`); empty when there is
   * nothing to compare with. Arrays are compared as sets, so a new finding anywhere in a list is
   * one `added`.
   *
   * ```ts
   * await doc.changes()
   * // [{ op: 'added', path: ['open'], value: 8080 },
   * //  { op: 'changed', path: ['os'], before: 'Linux 5', value: 'Linux 6' }]
   * ```
   */
  async changes(since?: Document): Promise<Change[]> {
    const base = since ?? (await this.previous())
    if (!base) return []
    const [before, after] = await Promise.all([base.get(), this.get()])
    return diff(before ?? {}, after ?? {})
  }
}
