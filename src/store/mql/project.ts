import { QueryError } from '../query-error'
import type { StoredDoc } from '../store'
import { isPlainObject } from './order'
import { describe } from './regex'
import { setField } from '../own-field'

/**
 * MongoDB's find projections: inclusion (`{ a: 1, 'b.c': 1 }`, `_id` kept unless `_id: 0`) or
 * exclusion (`{ a: 0 }`), never both, plus `{ $slice: n }` / `{ $slice: [skip, n] }` on arrays.
 * Paths go through arrays of sub-documents; a numeric component is a field name here, as in
 * MongoDB (`{ 'open.0': 1 }` on `open: [22, 80]` gives `open: []`). Other forms are refused.
 */
export type Projector = (doc: StoredDoc) => StoredDoc

type Slice = { readonly skip: number; readonly limit: number | undefined }
interface Node {
  readonly children: Map<string, Node>
  leaf?: 'include' | 'exclude' | Slice
}

export function compileProjection(projection: unknown): Projector {
  if (projection === undefined || projection === null) return (doc) => doc
  if (!isPlainObject(projection))
    throw new QueryError(`a projection is an object (got ${describe(projection)})`)
  const root: Node = { children: new Map() }
  let including = false
  let excluding = false
  for (const [path, value] of Object.entries(projection)) {
    const leaf = leafOf(path, value)
    if (path !== '_id' && leaf === 'include') including = true
    if (path !== '_id' && leaf === 'exclude') excluding = true
    add(root, path, leaf)
  }
  if (including && excluding)
    throw new QueryError('a projection cannot mix inclusion and exclusion (but for _id)')
  if (!root.children.size) return (doc) => doc
  // `{ _id: 1 }` alone is an inclusion too.
  if (including || (root.children.size === 1 && root.children.get('_id')?.leaf === 'include')) {
    if (!root.children.has('_id')) root.children.set('_id', { children: new Map(), leaf: 'include' })
    return (doc) => include(doc, root)
  }
  return (doc) => exclude(doc, root)
}

function leafOf(path: string, value: unknown): Node['leaf'] {
  if (typeof value === 'number' || typeof value === 'boolean') return value ? 'include' : 'exclude'
  if (isPlainObject(value) && Object.keys(value).length === 1 && '$slice' in value)
    return slice(path, value.$slice)
  throw new QueryError(
    'the embedded store supports projections of 1, 0 and { $slice } only ' +
      `(got ${JSON.stringify(path)}: ${describe(value)})`,
  )
}

function slice(path: string, arg: unknown): Slice {
  const whole = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n)
  if (whole(arg)) return arg >= 0 ? { skip: 0, limit: arg } : { skip: arg, limit: undefined }
  if (Array.isArray(arg) && arg.length === 2 && whole(arg[0]) && whole(arg[1]) && arg[1] > 0)
    return { skip: arg[0], limit: arg[1] }
  throw new QueryError(
    `$slice takes n or [skip, n > 0], whole numbers (got ${JSON.stringify(path)}: ${describe(arg)})`,
  )
}

function isSlice(leaf: Node['leaf']): leaf is Slice {
  return typeof leaf === 'object'
}

function add(root: Node, path: string, leaf: Node['leaf']): void {
  const parts = path.split('.')
  if (parts.some((p) => p === '' || p.startsWith('$')))
    throw new QueryError(`cannot project ${JSON.stringify(path)}`)
  let node = root
  for (const [i, p] of parts.entries()) {
    if (node.leaf !== undefined) throw new QueryError(`projection paths collide at ${JSON.stringify(path)}`)
    let child = node.children.get(p)
    if (!child) node.children.set(p, (child = { children: new Map() }))
    node = child
    if (i === parts.length - 1 && (node.leaf !== undefined || node.children.size))
      throw new QueryError(`projection paths collide at ${JSON.stringify(path)}`)
  }
  node.leaf = leaf
}

function include(obj: Record<string, unknown>, node: Node): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(obj)) {
    const child = node.children.get(key)
    if (!child || v === undefined) continue
    if (child.leaf === 'include') setField(out, key, v)
    else if (isSlice(child.leaf)) setField(out, key, sliced(v, child.leaf))
    else {
      const kept = includeValue(v, child)
      if (kept !== undefined) setField(out, key, kept)
    }
  }
  return out
}

/** Sub-documents are projected, arrays element by element; other values are dropped. */
function includeValue(v: unknown, node: Node): unknown {
  if (isPlainObject(v)) return include(v, node)
  if (Array.isArray(v)) return v.map((e) => includeValue(e, node)).filter((e) => e !== undefined)
  return undefined
}

function exclude(obj: Record<string, unknown>, node: Node): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(obj)) {
    const child = node.children.get(key)
    if (!child) setField(out, key, v)
    else if (child.leaf === 'exclude') continue
    else if (isSlice(child.leaf)) setField(out, key, sliced(v, child.leaf))
    else if (child.leaf !== 'include') setField(out, key, excludeValue(v, child))
    else setField(out, key, v)
  }
  return out
}

function excludeValue(v: unknown, node: Node): unknown {
  if (isPlainObject(v)) return exclude(v, node)
  if (Array.isArray(v)) return v.map((e) => excludeValue(e, node))
  return v
}

function sliced(v: unknown, s: Slice): unknown {
  if (!Array.isArray(v)) return v
  const start = s.skip < 0 ? Math.max(0, v.length + s.skip) : Math.min(s.skip, v.length)
  return s.limit === undefined ? v.slice(start) : v.slice(start, start + s.limit)
}
