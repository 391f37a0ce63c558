import { performance } from 'node:perf_hooks'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { Filter, FindOptions, Sort, StoredDoc } from '../store'
import type { CompiledFind } from '../mql/query'
import type { Matcher } from '../mql/filter'
import type { CollectionState, Connection, StoreDatabase } from './database'
import { parseDocument } from './ejson'
import { indexedPaths } from './indexes'
import { shapeCodes, shapeExpr } from './paths'
import { orderBy, pushdown, type PathShape, type PushdownContext, type SqlValue } from './pushdown'

/** A query gives the event loop a turn after this long (better-sqlite3 is synchronous). */
const SLICE_MS = 20

interface Plan {
  readonly sql: string
  readonly params: readonly SqlValue[]
  /** The rows are the matches (the matcher need not test them). */
  readonly exact: boolean
  /** The rows come in the requested order (so skip and limit apply while reading). */
  readonly ordered: boolean
}

/**
 * The SQL for a find: the pushed-down prefilter and, when SQL can sort as MongoDB does, the
 * order. Made inside the read transaction: what it knows of the indexed paths' contents (the
 * shape probes) holds for the rows it reads.
 */
export function plan(
  db: StoreDatabase,
  conn: Connection,
  state: CollectionState,
  filter: Filter,
  sort: Sort | undefined,
  select: string,
): Plan {
  const ctx = shapeContext(db, conn, state)
  const where = pushdown(filter, ctx)
  const order = orderBy(sort, ctx)
  return {
    sql: `SELECT ${select} FROM ${state.table} WHERE ${where.where} ORDER BY ${order ?? 'rid'}`,
    params: where.params,
    exact: where.exact,
    ordered: order !== undefined,
  }
}

/**
 * Finds with MongoDB's answers: SQL narrows (and orders, when it can sort as MongoDB does), the
 * compiled query (../mql) decides, then sorts, pages and projects what SQL did not.
 */
export async function find(db: StoreDatabase, state: CollectionState, q: CompiledFind): Promise<StoredDoc[]> {
  return db.read(async (conn) => {
    if (!state.hasTable(conn)) return []
    const p = plan(db, conn, state, q.filter, q.sort, 'json(doc) AS doc')
    const docs: StoredDoc[] = []
    let skipped = 0
    const slicer = new Slicer()
    for (const row of state.statement(conn, p.sql).iterate(...p.params) as Iterable<{ doc: string }>) {
      if (p.ordered && p.exact && skipped < q.skip) {
        skipped++ // skipped unparsed
        continue
      }
      const doc = parseDocument(row.doc)
      if ((p.exact || q.match(doc)) && !(p.ordered && skipped++ < q.skip)) {
        docs.push(doc)
        if (p.ordered && q.limit > 0 && docs.length >= q.limit) break
      }
      await slicer.turn()
    }
    return p.ordered ? docs.map(q.project) : q.finish(docs)
  })
}

export async function count(
  db: StoreDatabase,
  state: CollectionState,
  filter: Filter,
  match: Matcher,
): Promise<number> {
  return db.read(async (conn) => {
    if (!state.hasTable(conn)) return 0
    const counted = plan(db, conn, state, filter, undefined, 'count(*) AS n')
    if (counted.exact)
      return (
        state.statement(conn, counted.sql.replace(/ ORDER BY rid$/, '')).get(...counted.params) as {
          n: number
        }
      ).n
    const p = plan(db, conn, state, filter, undefined, 'json(doc) AS doc')
    let n = 0
    const slicer = new Slicer()
    for (const row of state.statement(conn, p.sql).iterate(...p.params) as Iterable<{ doc: string }>) {
      if (match(parseDocument(row.doc))) n++
      await slicer.turn()
    }
    return n
  })
}

/** Gives the event loop a turn every SLICE_MS of a long read (this reader and its snapshot stay put). */
class Slicer {
  private rows = 0
  private since = performance.now()

  async turn(): Promise<void> {
    if ((++this.rows & 127) !== 0 || performance.now() - this.since <= SLICE_MS) return
    await nextTurn()
    this.since = performance.now()
  }
}

/** SQLite's plan for a find (EXPLAIN QUERY PLAN), one line per step: for tests. */
export async function explain(
  db: StoreDatabase,
  state: CollectionState,
  filter: Filter,
  options: FindOptions,
): Promise<string[]> {
  return db.read((conn) => {
    if (!state.hasTable(conn)) return []
    const p = plan(db, conn, state, filter, options.sort, 'json(doc) AS doc')
    return (conn.prepare(`EXPLAIN QUERY PLAN ${p.sql}`).all(...p.params) as { detail: string }[]).map(
      (r) => r.detail,
    )
  })
}

/**
 * Indexed paths are probed once per query through their shape index: whether any document holds
 * an array or an object there (then the prefilter must keep such documents), or a boolean (then
 * SQL cannot sort by the path, and 0/1 may be booleans).
 */
function shapeContext(db: StoreDatabase, conn: Connection, state: CollectionState): PushdownContext {
  const indexed = indexedPaths(db.indexes(conn, state.name))
  const known = new Map<string, PathShape>()
  return {
    elements: (parts) => state.names.elements(parts.join('.')),
    shape(parts) {
      const path = parts.join('.')
      if (!indexed.has(path)) return 'unindexed'
      let shape = known.get(path)
      if (shape === undefined) {
        const k = shapeExpr(parts)
        const { object, boolean } = shapeCodes(parts)
        const sql =
          `SELECT EXISTS (SELECT 1 FROM ${state.table} WHERE ${k} BETWEEN 1 AND ${object}) AS mixed, ` +
          `EXISTS (SELECT 1 FROM ${state.table} WHERE ${k} = ${boolean}) AS booleans`
        const probe = state.statement(conn, sql).get() as { mixed: number; booleans: number }
        shape = probe.mixed ? 'mixed' : probe.booleans ? 'booleans' : 'pure'
        known.set(path, shape)
      }
      return shape
    },
  }
}
