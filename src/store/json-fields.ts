import { markPlainJson } from './plain-json'
import { setField } from './own-field'

/** A document's fields (the store's StoredDoc: not imported, the store's types import this). */
type StoredDoc = Record<string, unknown>

/** One field as a record gave it: its value's JSON text and its size as a BSON element. */
interface Field {
  readonly json: Buffer
  readonly bsonBytes: number
}

const EMPTY = Buffer.alloc(0)

/** A name JavaScript objects keep first, in numeric order (an array index: 0 to 2³² - 2). */
export function isIndexName(name: string): boolean {
  return /^(?:0|[1-9]\d{0,9})$/.test(name) && Number(name) < 2 ** 32 - 1
}

/**
 * A run's record fields kept as their checked JSON text, one slice per field, merged like
 * `Object.assign` (later fields win, in the first one's place). A store that writes JSON (the
 * embedded store) transcodes the text; one that needs objects (MongoDB, the spool) asks for
 * them: an 8 MB result is never held as text, object tree and store form at once.
 */
export class JsonFields {
  private readonly fields = new Map<string, Field>()
  private elements = 0
  private parsed: StoredDoc | undefined

  /**
   * Sets `name` to the JSON text `json`, which the caller has checked: a record's value, in the
   * form `JSON.stringify(JSON.parse(json))` gives up to whitespace, numbers and escapes.
   */
  set(name: string, json: Buffer, valueBsonBytes: number): void {
    if (this.parsed) throw new Error('JsonFields: set after toObject()')
    const bsonBytes = 1 + Buffer.byteLength(name) + 1 + valueBsonBytes
    const old = this.fields.get(name)
    if (old) this.elements -= old.bsonBytes
    this.elements += bsonBytes
    this.fields.set(name, { json, bsonBytes })
  }

  get size(): number {
    return this.fields.size
  }

  /** The fields' size as BSON elements: a document of them alone is 5 bytes more. */
  get bsonBytes(): number {
    return this.elements
  }

  /** Whether some name sorts first in an object (`"0"`, `"42"`): writers in order must place it. */
  hasIndexNames(): boolean {
    for (const name of this.fields.keys()) if (isIndexName(name)) return true
    return false
  }

  /** Whether the JSON is still here to be written as it is (not let go by toObject), in plain order. */
  transcodable(): boolean {
    return this.parsed === undefined && !this.hasIndexNames()
  }

  /** Names and JSON texts, in the order an object of them would list them. */
  *entries(): IterableIterator<readonly [string, Buffer]> {
    if (this.parsed) throw new Error('JsonFields: the JSON was let go by toObject()')
    const index = [...this.fields.keys()].filter(isIndexName).sort((a, b) => Number(a) - Number(b))
    for (const name of index) yield [name, this.fields.get(name)!.json]
    for (const [name, field] of this.fields) if (!isIndexName(name)) yield [name, field.json]
  }

  /**
   * The fields as objects (JSON.parse of each), marked as plain JSON. Made once: the JSON is let
   * go then (a store that needs objects does not also hold the text), and later calls get the
   * same object.
   */
  toObject(): StoredDoc {
    if (this.parsed) return this.parsed
    const doc: StoredDoc = markPlainJson({})
    for (const name of [...this.fields.keys()]) setField(doc, name, JSON.parse(this.textOf(name)) as unknown)
    this.parsed = doc
    return doc
  }

  /** A field's JSON as text, its bytes let go first: a long line is not held beside its parse. */
  private textOf(name: string): string {
    const { json, bsonBytes } = this.fields.get(name)!
    this.fields.set(name, { json: EMPTY, bsonBytes })
    return json.toString('utf8')
  }
}

/** What a store is given to write: fields as objects, or a run's records as JSON. */
export type SaveFields = StoredDoc | JsonFields

/** The fields as objects, whichever form they came in. */
export function fieldsObject(fields: SaveFields): StoredDoc {
  return fields instanceof JsonFields ? fields.toObject() : fields
}
