/**
 * The SQL expressions a MongoDB field path becomes. Indexes and queries are built from the same
 * functions: SQLite uses an expression index only when the query's expression is the same text.
 *
 * A document lives in the `doc` column as JSONB (SQLite's binary JSON) of its EJSON (relaxed)
 * text, so numbers, strings, booleans and null are plain JSON values that SQL can compare, while
 * Dates and other BSON types are `{"$date": ...}`-style objects.
 */

/** The path's components ('_lev.key' -> ['_lev', 'key']), or undefined when SQL cannot address it. */
export function splitPath(path: string): readonly string[] | undefined {
  const parts = path.split('.')
  // `$`-names are operators, never stored fields; any other name is a quoted JSON path label.
  return parts.every((p) => p !== '' && !p.startsWith('$')) ? parts : undefined
}

/** A string as an SQL literal. */
export function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`
}

/** A quoted SQL identifier (table and index names hold '/', '@', '|' and such). */
export function sqlName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

/**
 * `$."a"."b"`: labels are quoted so that names such as `0` or `a-b` stay object keys, and
 * escaped as JSON writes them (SQLite compares a quoted label with the key's stored JSON text,
 * so `C:\\Windows` must be written as the document's JSON has it).
 */
export function jsonPath(parts: readonly string[]): string {
  return `$${parts.map((p) => `.${JSON.stringify(p)}`).join('')}`
}

/**
 * The value at the path when no array lies on the way: SQL NULL when missing or null, a number,
 * a string, 0/1 for a boolean, JSON text for an object or array.
 */
export function valueExpr(parts: readonly string[]): string {
  return `json_extract(doc, ${sqlString(jsonPath(parts))})`
}

/** The JSON path as an SQL literal, for json_each over an array at the path. */
export function pathLiteral(parts: readonly string[]): string {
  return sqlString(jsonPath(parts))
}

/**
 * Codes of `shapeExpr`. For a path of n components: 1..n-1 an array part-way (MongoDB looks into
 * its elements, JSON paths do not), n an array at the path itself, n+1 an object there (a Date,
 * NaN, Infinity, a Decimal128 or a sub-document), n+2 a boolean. NULL: missing, null, a number
 * or a string, which `valueExpr` alone compares as MongoDB does.
 */
export const shapeCodes = (parts: readonly string[]) => ({
  leafArray: parts.length,
  object: parts.length + 1,
  boolean: parts.length + 2,
})

/**
 * Where `valueExpr` cannot tell the whole truth about a document (see `shapeCodes`). Indexed as a
 * partial index (only flagged documents), so "is any document flagged?" is one index probe and
 * flagged documents are found without reading the collection.
 */
export function shapeExpr(parts: readonly string[]): string {
  const when: string[] = []
  for (let i = 1; i <= parts.length; i++)
    when.push(`WHEN json_type(doc, ${pathLiteral(parts.slice(0, i))}) = 'array' THEN ${i}`)
  const leaf = pathLiteral(parts)
  const codes = shapeCodes(parts)
  when.push(`WHEN json_type(doc, ${leaf}) = 'object' THEN ${codes.object}`)
  when.push(`WHEN json_type(doc, ${leaf}) IN ('true', 'false') THEN ${codes.boolean}`)
  return `(CASE ${when.join(' ')} END)`
}

/** The multikey tables' stand-in for an object element (see indexes.ts): a blob no scalar equals. */
export const OBJECT_ELEMENT = "X'00'"

/**
 * Names of a collection's SQL objects. The prefixes keep user names apart from each other and
 * from lev_* and sqlite_* tables: `c:` the table, `i:` a declared index, `k:` a path's shape
 * index, `m:` a path's array elements (a multikey index) and its triggers.
 */
export function schemaNames(collection: string) {
  return {
    table: sqlName(`c:${collection}`),
    index: (name: string) => sqlName(`i:${collection}:${name}`),
    shape: (path: string) => sqlName(`k:${collection}:${path}`),
    elements: (path: string) => sqlName(`m:${collection}:${path}`),
    trigger: (path: string, event: 'insert' | 'update' | 'delete') =>
      sqlName(`m:${collection}:${path}:${event}`),
  }
}
