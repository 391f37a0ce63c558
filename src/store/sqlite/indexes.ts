import type { IndexKeys, IndexOptions } from '../store'
import type { CollectionState, Connection, StoreDatabase } from './database'
import type { IndexSpec } from './registry'
import { OBJECT_ELEMENT, pathLiteral, shapeExpr, splitPath, valueExpr } from './paths'

/** Options MongoDB honours that would change answers or writes here: refused, not ignored. */
const UNSUPPORTED: readonly string[] = [
  'unique',
  'sparse',
  'partialFilterExpression',
  'expireAfterSeconds',
  'collation',
  'hidden',
  'wildcardProjection',
]

/** The field paths (other than `_id`) some index of the collection covers. */
export function indexedPaths(specs: readonly IndexSpec[]): Set<string> {
  return new Set(specs.flatMap((s) => s.keys.map(([path]) => path)).filter((p) => p !== '_id'))
}

/** Checks `createIndex`'s arguments and names the index as MongoDB would (`_lev.key_1`, `a_1_b_-1`). */
export function indexSpec(keys: IndexKeys, options: IndexOptions | undefined): IndexSpec {
  const refused = UNSUPPORTED.filter((o) => options && o in options)
  if (refused.length)
    throw new Error(`the embedded store does not support the index option ${refused.join(', ')}`)
  const entries = Object.entries(keys ?? {})
  if (entries.length === 0) throw new Error('an index needs at least one key')
  const normalized = entries.map(([path, given]): readonly [string, 1 | -1] => {
    const dir: unknown = given // from JavaScript, anything
    if (typeof dir !== 'number' || dir === 0 || Number.isNaN(dir))
      throw new Error(
        `the embedded store supports index keys of 1 or -1 only (got ${path}: ${JSON.stringify(dir)})`,
      )
    if (path !== '_id' && !splitPath(path))
      throw new Error(`the embedded store cannot index the field path ${JSON.stringify(path)}`)
    return [path, dir > 0 ? 1 : -1]
  })
  return { name: options?.name ?? normalized.map(([p, d]) => `${p}_${d}`).join('_'), keys: normalized }
}

/**
 * Makes the index unless it exists (then a no-op, even when another process made it meanwhile):
 * an expression index over the paths' values (plus `id`, so that equal values come out in `_id`
 * order and `sort: { _id: -1 }` needs no sort), and per path a partial index of the documents
 * whose value there is not a plain scalar (see `shapeExpr`). Resolves to the index's name.
 */
export function createIndex(db: StoreDatabase, state: CollectionState, spec: IndexSpec): string {
  if (spec.keys.length === 1 && spec.keys[0][0] === '_id') return '_id_' // the primary key
  const known = db.knownIndexes(state.name).find((s) => sameKeys(s, spec))
  if (known) return known.name // asked for before every lookup by some callers: no write then
  const name = db.write((conn) => {
    state.ensureTable(conn)
    const declared = db.indexes(conn, state.name)
    const same = declared.find((s) => sameKeys(s, spec))
    if (same) return same.name
    if (declared.some((s) => s.name === spec.name))
      throw new Error(`an index named ${spec.name} exists with other keys`)
    for (const [path] of spec.keys) if (path !== '_id') indexPath(conn, state, path)
    const columns = spec.keys.map(
      ([path, dir]) =>
        `${path === '_id' ? 'id' : valueExpr(splitPath(path) as readonly string[])}${dir < 0 ? ' DESC' : ''}`,
    )
    if (!spec.keys.some(([path]) => path === '_id')) columns.push('id')
    conn.exec(
      `CREATE INDEX IF NOT EXISTS ${state.names.index(spec.name)} ON ${state.table} (${columns.join(', ')})`,
    )
    conn
      .prepare('INSERT INTO lev_indexes (coll, name, keys) VALUES (?, ?, ?)')
      .run(state.name, spec.name, JSON.stringify(spec.keys))
    return spec.name
  })
  state.committed()
  return name
}

/**
 * What a path needs beyond the value index, made once per path whatever index names it:
 * - the shape index: a partial index of the documents holding an array or an object there;
 * - a multikey table: the scalar elements of an array at the path, one row per (value, row),
 *   kept by triggers, so that `{ ports: 443 }` finds `ports: [22, 443]` through an index. The
 *   triggers live in the database, so every process's writes keep it, whichever made it.
 * Documents with an array part-way along the path (`a.b` over `a: [{ b }]`) are not in it: the
 * shape index finds them, and the matcher decides.
 */
function indexPath(conn: Connection, state: CollectionState, path: string): void {
  const parts = splitPath(path) as readonly string[]
  const shape = shapeExpr(parts)
  const names = state.names
  const at = pathLiteral(parts)
  const elements = names.elements(path)
  conn.exec(
    `CREATE INDEX IF NOT EXISTS ${names.shape(path)} ON ${state.table} (${shape}) WHERE ${shape} IS NOT NULL`,
  )
  if (
    conn
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
      .get(`m:${state.name}:${path}`)
  )
    return
  const select = (doc: string, rid: string, table = '') =>
    `SELECT DISTINCT ${ELEMENT_VALUE}, ${rid} FROM ${table}json_each(${doc}, ${at}) AS e ` +
    `WHERE json_type(${doc}, ${at}) = 'array' AND e.type NOT IN ('array', 'null')`
  // Rows go by the old document's elements (the primary key), not by a second index on rid:
  // one B-tree fewer to write on every save.
  const remove =
    `DELETE FROM ${elements} WHERE rid = old.rid AND v IN (SELECT ${ELEMENT_VALUE} ` +
    `FROM json_each(old.doc, ${at}) AS e WHERE json_type(old.doc, ${at}) = 'array')`
  conn.exec(`CREATE TABLE ${elements} (v NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (v, rid)) WITHOUT ROWID;
    INSERT OR IGNORE INTO ${elements} (v, rid) ${select('t.doc', 't.rid', `${state.table} AS t, `)};
    CREATE TRIGGER ${names.trigger(path, 'insert')} AFTER INSERT ON ${state.table} BEGIN
      INSERT OR IGNORE INTO ${elements} (v, rid) ${select('new.doc', 'new.rid')}; END;
    CREATE TRIGGER ${names.trigger(path, 'update')} AFTER UPDATE OF doc ON ${state.table} BEGIN
      ${remove};
      INSERT OR IGNORE INTO ${elements} (v, rid) ${select('new.doc', 'new.rid')}; END;
    CREATE TRIGGER ${names.trigger(path, 'delete')} AFTER DELETE ON ${state.table} BEGIN ${remove}; END;`)
}

/**
 * An element's row value: scalars as they are (booleans as 0/1), an object as the marker
 * `OBJECT_ELEMENT` (a Date, NaN, Infinity or a sub-document: every lookup keeps such documents).
 */
const ELEMENT_VALUE = `CASE WHEN e.type = 'object' THEN ${OBJECT_ELEMENT} ELSE e.value END`

function sameKeys(a: IndexSpec, b: IndexSpec): boolean {
  return JSON.stringify(a.keys) === JSON.stringify(b.keys)
}
