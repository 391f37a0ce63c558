import { BSON, EJSON } from 'bson'
import { MAX_DOCUMENT_BYTES, RUN_FIELD, type RunRecord, type StoredDoc } from '../store'
import type { StoreDatabase } from './database'
import { parseDocument } from './ejson'
import { toJsonb } from './jsonb'
import { isPlainJson } from '../plain-json'

/**
 * Writes fields into a document in one write transaction: read, merge top-level fields (like
 * `$set`), replace the bookkeeping when given, check MongoDB's size limit, write. Transactions
 * of all processes are serialized, so concurrent merges into one document lose nothing.
 */
export function saveDocument(
  db: StoreDatabase,
  collection: string,
  id: string,
  fields: StoredDoc,
  run: RunRecord | undefined,
): void {
  const state = db.collection(collection)
  db.write((conn) => {
    state.ensureTable(conn)
    const before = state
      .statement(conn, `SELECT json(doc) FROM ${state.table} WHERE id = ?`)
      .pluck()
      .get(id) as string | undefined
    const base = before === undefined ? { _id: id } : parseDocument(before)
    // `_id` is the row's key: fields cannot change it (MongoDB refuses to as well).
    const doc: StoredDoc = { ...base, ...fields, ...(run ? { [RUN_FIELD]: run } : {}), _id: id }
    const bytes = BSON.calculateObjectSize(doc)
    if (bytes > MAX_DOCUMENT_BYTES)
      throw new Error(`the document is ${bytes} bytes as BSON, over the ${MAX_DOCUMENT_BYTES}-byte limit`)
    const blob = toJsonb(storedForm(doc, before === undefined && isPlainJson(fields)), bytes)
    // Not an upsert: its conflict clause would override the multikey triggers' INSERT OR IGNORE
    // (SQLite applies the outer statement's conflict resolution to the triggers' statements).
    if (before === undefined)
      state.statement(conn, `INSERT INTO ${state.table} (id, doc) VALUES (?, ?)`).run(id, blob)
    else state.statement(conn, `UPDATE ${state.table} SET doc = ? WHERE id = ?`).run(blob, id)
  })
  state.committed()
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
