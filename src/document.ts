import { visibleProjection } from './store/projection'
import type { Filter, Projection, ResultCollection, RunRecord, StoredDoc } from './store'

/** Where one run's results are: its collection and the filter that finds its document. */
export class Document {
  /** @internal Made by a finished run. */
  constructor(
    readonly coll: ResultCollection,
    id: string,
    /** Bookkeeping: image, container id, exit code, start and end times. */
    readonly run: RunRecord,
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
   */
  get<T extends StoredDoc = StoredDoc>(query: Filter = {}, projection?: Projection): Promise<T | null> {
    return this.coll.findOne({ ...query, ...this.filters }, { projection: visibleProjection(projection) }) as Promise<T | null>
  }
}
