import { BSON, EJSON } from 'bson'
import { Query } from 'mingo'
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { StoreError } from '../errors'
import { MAX_DOCUMENT_BYTES, RUN_FIELD, type Filter, type Projection, type ResultCollection, type RunRecord, type Store, type StoredDoc } from './store'

/**
 * Results on local disk, no server: one folder per collection, one EJSON file per run document
 * (so Dates and other BSON types come back as they went in, as from MongoDB). Queries and
 * projections are MongoDB's language through mingo. A run only ever writes its own file, and
 * writes are atomic (write then rename), so several processes can share one LEV_HOME.
 */
export class EmbeddedStore implements Store {
  readonly kind = 'embedded'
  private readonly writes = new Map<string, Promise<void>>()

  constructor(readonly home: string) {}

  get location(): string {
    return join(this.home, 'store')
  }

  get key(): string {
    return `embedded ${this.home}`
  }

  collection(name: string): ResultCollection {
    return new EmbeddedCollection(this.folder(name), name)
  }

  save(collection: string, id: string, fields: StoredDoc, run?: RunRecord): Promise<void> {
    // Saves of one document are chained, so a later merge never races an earlier one.
    const file = join(this.folder(collection), `${id}.json`)
    const previous = this.writes.get(file) ?? Promise.resolve()
    const next = previous.then(async () => {
      const doc = { ...((await readDoc(file)) ?? { _id: id }), ...fields, ...(run ? { [RUN_FIELD]: run } : {}) }
      const bytes = BSON.calculateObjectSize(doc)
      if (bytes > MAX_DOCUMENT_BYTES) throw new Error(`the document is ${bytes} bytes as BSON, over the ${MAX_DOCUMENT_BYTES}-byte limit`)
      await mkdir(this.folder(collection), { recursive: true })
      const tmp = `${file}.${process.pid}.tmp`
      await writeFile(tmp, EJSON.stringify(doc, { relaxed: true }))
      await rename(tmp, file)
    })
    const settled = next.catch(() => undefined)
    this.writes.set(file, settled)
    void settled.then(() => this.writes.get(file) === settled && this.writes.delete(file))
    return next.catch((err: unknown) => {
      throw new StoreError(`could not write ${file}`, err)
    })
  }

  private folder(collection: string): string {
    return join(this.location, encodeURIComponent(collection))
  }
}

class EmbeddedCollection implements ResultCollection {
  constructor(
    private readonly folder: string,
    readonly collectionName: string,
  ) {}

  async findOne(filter: Filter = {}, options?: { projection?: Projection }): Promise<StoredDoc | null> {
    return (await this.query(filter, options?.projection))[0] ?? null
  }

  find(filter: Filter = {}, options?: { projection?: Projection }): { toArray(): Promise<StoredDoc[]> } {
    return { toArray: () => this.query(filter, options?.projection) }
  }

  async countDocuments(filter: Filter = {}): Promise<number> {
    return (await this.query(filter)).length
  }

  private async query(filter: Filter, projection?: Projection): Promise<StoredDoc[]> {
    const docs = await this.candidates(filter)
    return new Query(filter, {}).find<StoredDoc>(docs, projection).all()
  }

  /** A string `_id` (every run's filter) names one file; anything else reads the folder. */
  private async candidates(filter: Filter): Promise<StoredDoc[]> {
    if (typeof filter._id === 'string' && SAFE_ID.test(filter._id)) {
      const doc = await readDoc(join(this.folder, `${filter._id}.json`))
      return doc ? [doc] : []
    }
    let names: string[]
    try {
      names = (await readdir(this.folder)).filter((n) => n.endsWith('.json')).sort()
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw new StoreError(`could not read ${this.folder}`, err)
    }
    const docs = await Promise.all(names.map((n) => readDoc(join(this.folder, n))))
    return docs.filter((d): d is StoredDoc => d !== undefined)
  }
}

// Only ids that are plain file names take the one-file path; anything else is matched by scanning.
const SAFE_ID = /^[A-Za-z0-9_-]+$/

async function readDoc(file: string): Promise<StoredDoc | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new StoreError(`could not read ${file}`, err)
  }
  return EJSON.parse(text, { relaxed: true }) as StoredDoc
}
