import type { Filter, FindOptions, StoredDoc } from '../../src/store'
import type { Deviation } from './test-server-deviations'

/**
 * MongoDB's documented answers, for test/store-semantics.test.ts: the cases of issue 14, the
 * null and array semantics of MongoDB's own tests (jstests/core/query/null_query_semantics.js),
 * and one or more cases per listed deviation of the test server.
 */
export interface Case {
  readonly name: string
  /** `_id` defaults to the document's position. */
  readonly docs: readonly StoredDoc[]
  readonly filter: Filter
  readonly options?: FindOptions
  /** The `_id`s found (in order when sorted), or whole documents when projecting. */
  readonly expected:
    | { readonly ids: readonly string[]; readonly docs?: never; readonly count?: number }
    | { readonly docs: readonly StoredDoc[]; readonly ids?: never; readonly count?: number }
  readonly deviation?: Deviation
}

export const D1 = new Date('2024-01-01T00:00:00Z')
export const ids = (...list: (string | number)[]) => ({ ids: list.map(String) })

/** Issue 14's table, and more of the same kind. */
export const ISSUE_CASES: readonly Case[] = [
  // Issue 14's table.
  {
    name: '$gte null matches null and missing',
    docs: [{ x: null }, {}, { x: 1 }],
    filter: { x: { $gte: null } },
    expected: ids(0, 1),
  },
  {
    name: '$all of one value matches a scalar',
    docs: [{ scanner: 'nmap' }, { scanner: 'zmap' }],
    filter: { scanner: { $all: ['nmap'] } },
    expected: ids(0),
  },
  {
    name: '$size does not count values reached through an array',
    docs: [{ ports: [{ port: 22 }, { port: 80 }] }, { ports: { port: [1, 2] } }],
    filter: { 'ports.port': { $size: 2 } },
    expected: ids(1),
  },
  {
    name: '$mod matches numbers only',
    docs: [{ x: null }, { x: '' }, { x: false }, { x: D1 }, { x: 4 }, { x: 5.5 }],
    filter: { x: { $mod: [2, 0] } },
    expected: ids(4),
  },
  {
    name: '$type object matches sub-documents in an array',
    docs: [{ ports: [{ port: 22 }] }, { ports: [22] }],
    filter: { ports: { $type: 'object' } },
    expected: ids(0),
  },
  {
    name: '$in looks into arrays reached through arrays',
    docs: [{ ports: [{ cpe: ['N'] }, { cpe: ['L'] }] }, { ports: [{ cpe: ['N'] }] }],
    filter: { 'ports.cpe': { $in: ['L'] } },
    expected: ids(0),
  },
  {
    name: '$nin looks into arrays reached through arrays',
    docs: [{ ports: [{ cpe: ['N'] }, { cpe: ['L'] }] }, { ports: [{ cpe: ['N'] }] }],
    filter: { 'ports.cpe': { $nin: ['L'] } },
    expected: ids(1),
    deviation: 'negatedThroughArray',
  },
  {
    name: 'ranges look into arrays reached through arrays',
    docs: [{ ports: [{ cpe: ['A'] }, { cpe: ['L'] }] }, { ports: [{ cpe: ['A'] }] }],
    filter: { 'ports.cpe': { $gte: 'L' } },
    expected: ids(0),
  },
  {
    name: '$all looks into arrays reached through arrays',
    docs: [{ ports: [{ cpe: ['N'] }, { cpe: ['L'] }] }, { ports: [{ cpe: ['N'] }] }],
    filter: { 'ports.cpe': { $all: ['L', 'N'] } },
    expected: ids(0),
    deviation: 'allThroughArray',
  },
  {
    name: '$type looks into arrays reached through arrays',
    docs: [{ ports: [{ cpe: [1] }, { cpe: ['L'] }] }, { ports: [{ cpe: [1] }] }],
    filter: { 'ports.cpe': { $type: 'string' } },
    expected: ids(0),
  },
  {
    name: 'an element without the field is null',
    docs: [{ v: [{ id: 1 }] }, { v: [{ refs: 1 }] }],
    filter: { 'v.refs': { $in: [null] } },
    expected: ids(0),
  },
  {
    name: 'a scalar element part-way is missing',
    docs: [{ v: [1, { refs: 2 }] }, { v: [{ refs: 1 }] }, { v: [] }],
    filter: { 'v.refs': null },
    expected: ids(0, 2),
    deviation: 'partWay',
  },
  {
    name: 'strings compare by UTF-8 bytes',
    docs: [{ s: 'ｆｕｌｌ' }, { s: '😀' }],
    filter: { s: { $lt: '😀' } },
    expected: ids(0),
  },
  {
    name: 'strings sort by UTF-8 bytes',
    docs: [{ s: '😀' }, { s: 'ｆｕｌｌ' }, { s: 'a' }, { s: 'é' }],
    filter: {},
    options: { sort: { s: 1 } },
    expected: ids(2, 3, 1, 0),
  },
  {
    name: 'a descending sort takes the largest element',
    docs: [{ a: [1, 5] }, { a: [3] }, { a: 4 }],
    filter: {},
    options: { sort: { a: -1 } },
    expected: ids(0, 2, 1),
  },
  {
    name: 'an ascending sort takes the smallest element',
    docs: [{ a: [1, 5] }, { a: [3] }, { a: 2 }, { a: [] }, {}],
    filter: {},
    options: { sort: { a: 1 } },
    expected: ids(3, 4, 0, 2, 1),
  },
  {
    name: 'sub-documents equal field by field, in order',
    docs: [{ os: { name: 'Linux', accuracy: 90 } }, { os: { accuracy: 90, name: 'Linux' } }],
    filter: { os: { accuracy: 90, name: 'Linux' } },
    expected: ids(1),
  },
  {
    name: 'sub-documents compare field by field',
    docs: [{ os: { a: 1, b: 2 } }, { os: { a: 1 } }, { os: { a: 2 } }],
    filter: { os: { $gt: { a: 1 } } },
    expected: ids(0, 2),
  },
  {
    name: 'field names with a backslash',
    docs: [{ files: { 'C:\\Windows': 1 } }, { files: { 'C:Windows': 1 } }],
    filter: { 'files.C:\\Windows': 1 },
    expected: ids(0),
  },
  {
    name: 'field names with quotes and spaces',
    docs: [{ 'a"b c': 's' }, { 'a"b': 's' }],
    filter: { 'a"b c': 's' },
    expected: ids(0),
    deviation: 'quotedNames',
  },
  {
    name: 'a numeric projection component is a field name',
    docs: [{ open: [22, 80], tags: ['x'] }],
    filter: {},
    options: { projection: { 'open.0': 1 } },
    expected: { docs: [{ _id: '0', open: [] }] },
  },
  {
    name: '$slice keeps the other fields',
    docs: [{ tags: ['a', 'b', 'c'], host: 'h' }],
    filter: {},
    options: { projection: { tags: { $slice: 1 } } },
    expected: { docs: [{ _id: '0', tags: ['a'], host: 'h' }] },
    deviation: 'notImplemented',
  },
  {
    name: '$slice from the end, and with a skip',
    docs: [{ tags: ['a', 'b', 'c'], n: [1, 2, 3, 4] }],
    filter: {},
    options: { projection: { tags: { $slice: -2 }, n: { $slice: [1, 2] } } },
    expected: { docs: [{ _id: '0', tags: ['b', 'c'], n: [2, 3] }] },
    deviation: 'notImplemented',
  },
  {
    name: '$slice beside an inclusion',
    docs: [{ tags: ['a', 'b'], host: 'h', x: 1 }],
    filter: {},
    options: { projection: { host: 1, tags: { $slice: 1 } } },
    expected: { docs: [{ _id: '0', tags: ['a'], host: 'h' }] },
    deviation: 'notImplemented',
  },
  {
    name: 'inclusion through arrays of sub-documents',
    docs: [{ a: [{ b: 1, c: 2 }, 5, { c: 3 }], d: 1 }],
    filter: {},
    options: { projection: { 'a.b': 1, _id: 0 } },
    expected: { docs: [{ a: [{ b: 1 }, {}] }] },
  },
  {
    name: 'exclusion through arrays of sub-documents',
    docs: [{ a: [{ b: 1, c: 2 }, 5], d: 1 }],
    filter: {},
    options: { projection: { 'a.b': 0 } },
    expected: { docs: [{ _id: '0', a: [{ c: 2 }, 5], d: 1 }] },
  },
  {
    name: 'regular expressions match strings in arrays',
    docs: [{ host: ['smtp', 'mail.example'] }, { host: 'web' }, { host: 'MAIL' }],
    filter: { host: { $regex: '^mail', $options: 'i' } },
    expected: ids(0, 2),
  },
  {
    name: '$not with a regular expression',
    docs: [{ host: 'mail' }, { host: 'web' }, {}],
    filter: { host: { $not: /^m/ } },
    expected: ids(1, 2),
  },
]
