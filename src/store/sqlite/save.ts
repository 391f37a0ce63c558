import { BSON, EJSON } from 'bson'
import { MAX_DOCUMENT_BYTES, RUN_FIELD, type RunRecord, type StoredDoc } from '../store'
import type { StoreDatabase } from './database'
import { parseDocument } from './ejson'
import { toJsonb } from './jsonb'
import { recordsJsonb } from './jsonb-text'
import { isPlainJson } from '../plain-json'
import { JsonFields, type SaveFields } from '../json-fields'

/**
 * Writes fields into a document in one write transaction: read, merge top-level fields (like
 * `$set`), replace the bookkeeping when given, check MongoDB's size limit, write. Transactions
 * of all processes are serialized, so concurrent merges into one document lose nothing.
 */
export function saveDocument(
  db: StoreDatabase,
  collection: string,
  id: string,
  fields: SaveFields,
  run: RunRecord | undefined,
): void {
  const state = db.collection(collection)
  db.write((conn) => {
    state.ensureTable(conn)
    const before = state
      .statement(conn, `SELECT json(doc) FROM ${state.table} WHERE id = ?`)
      .pluck()
      .get(id) as string | undefined
    const blob =
      before === undefined && fields instanceof JsonFields && fields.transcodable()
        ? newFromRecords(id, fields, run)
        : merged(id, before, fields instanceof JsonFields ? fields.toObject() : fields, run)
    // Not an upsert: its conflict clause would override the multikey triggers' INSERT OR IGNORE
    // (SQLite applies the outer statement's conflict resolution to the triggers' statements).
    if (before === undefined)
      state.statement(conn, `INSERT INTO ${state.table} (id, doc) VALUES (?, ?)`).run(id, blob)
    else state.statement(conn, `UPDATE ${state.table} SET doc = ? WHERE id = ?`).run(blob, id)
  })
  state.committed()
}

/** A new document of record JSON, transcoded: the fields never become objects. */
function newFromRecords(id: string, fields: JsonFields, run: RunRecord | undefined): Buffer {
  const bytes = BSON.calculateObjectSize({ _id: id, ...(run ? { [RUN_FIELD]: run } : {}) }) + fields.bsonBytes
  checkSize(bytes)
  const tail = run ? ([RUN_FIELD, EJSON.serialize(run, { relaxed: true })] as const) : undefined
  return recordsJsonb(id, fields, tail, bytes)
}

/** The document `before` (if any) with `fields` set, as JSONB. */
function merged(
  id: string,
  before: string | undefined,
  fields: StoredDoc,
  run: RunRecord | undefined,
): Buffer {
  const base = before === undefined ? { _id: id } : parseDocument(before)
  // `_id` is the row's key: fields cannot change it (MongoDB refuses to as well).
  const doc: StoredDoc = { ...base, ...fields, ...(run ? { [RUN_FIELD]: run } : {}), _id: id }
  const bytes = BSON.calculateObjectSize(doc)
  checkSize(bytes)
  return toJsonb(storedForm(doc, before === undefined && isPlainJson(fields)), bytes)
}

function checkSize(bytes: number): void {
  if (bytes > MAX_DOCUMENT_BYTES)
    throw new Error(`the document is ${bytes} bytes as BSON, over the ${MAX_DOCUMENT_BYTES}-byte limit`)
}

/**
 * The document as relaxed EJSON: numbers, strings and booleans stay plain JSON that SQL can
 * compare and index; Dates and other BSON types keep their type as {"$date": ...} and such.
 * A new document of fields known to be plain JSON (records as the reader made them) is that
 * already, so only the bookkeeping is converted: EJSON.serialize would copy every value.
 */
function storedForm(doc: StoredDoc, plain: boolean): unknown {
  if (!plain) return EJSON.serialize(doc, { relaxed: true })
  const lev = doc[RUN_FIELD]
  return lev === undefined ? doc : { ...doc, [RUN_FIELD]: EJSON.serialize(lev, { relaxed: true }) }
}
