import { QueryError } from '../query-error'
import type { Filter, FindOptions, StoredDoc } from '../store'
import { compileFilter, type Matcher } from './filter'
import { isPlainObject } from './order'
import { compileProjection, type Projector } from './project'
import { describe } from './regex'
import { sortDocuments, sortKeysOf } from './sort'

/** A find, checked and compiled before anything is read: a QueryError when the store cannot answer it. */
export interface CompiledFind {
  readonly filter: Filter
  readonly match: Matcher
  readonly sort: FindOptions['sort']
  readonly project: Projector
  readonly skip: number
  /** 0: no limit. */
  readonly limit: number
  /** Sorts, skips, limits and projects matched documents (in natural order). */
  finish(docs: readonly StoredDoc[]): StoredDoc[]
}

const OPTIONS: ReadonlySet<string> = new Set(['projection', 'sort', 'skip', 'limit'])

export function compileFind(filter: unknown, options: unknown): CompiledFind {
  const opts = options ?? {}
  if (!isPlainObject(opts)) throw new QueryError(`find options are an object (got ${describe(options)})`)
  const unknown = Object.keys(opts).filter((k) => !OPTIONS.has(k) && opts[k] !== undefined)
  if (unknown.length)
    throw new QueryError(
      `the embedded store does not support the find option ${unknown.join(', ')} ` +
        '(projection, sort, skip and limit are)',
    )
  const match = compileFilter(filter)
  sortKeysOf(opts.sort)
  const project = compileProjection(opts.projection)
  const skip = count(opts.skip, 'skip')
  // A negative limit is MongoDB's "one batch": the same documents here.
  const limit = Math.abs(opts.limit === undefined ? 0 : wholeNumber(opts.limit, 'limit'))
  const sort = opts.sort as FindOptions['sort']
  return {
    filter: (filter ?? {}) as Filter,
    match,
    sort,
    project,
    skip,
    limit,
    finish(docs) {
      const sorted = sortDocuments(docs, sort)
      const page = sorted.slice(skip, limit > 0 ? skip + limit : undefined)
      return page.map(project)
    },
  }
}

function count(v: unknown, what: string): number {
  if (v === undefined) return 0
  const n = wholeNumber(v, what)
  if (n < 0) throw new QueryError(`${what} takes a whole number ≥ 0 (got ${n})`)
  return n
}

function wholeNumber(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v))
    throw new QueryError(`${what} takes a whole number (got ${describe(v)})`)
  return v
}
