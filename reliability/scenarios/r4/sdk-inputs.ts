import fc from 'fast-check'
import { annot, Attck, BlackArch, Cr, OptionsError, remote } from '../../../src'
import { check, describeError, expectThat, type PropertyResult } from '../../lib/property'

/** Values of every shape: what a caller may pass by mistake (or from untyped JSON). */
const anything = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withSparseArray: true,
  withTypedArray: true,
  maxDepth: 3,
})
const oddNumbers = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1, -1, 65535, 65536, 2 ** 31, 2 ** 53, 1e308, 0.5),
  fc.double(),
  fc.integer(),
)
const oddStrings = fc.oneof(
  fc.constantFrom('', ' ', '/', '..', '/../x', 'a=b', '=', 'x\u0000y', '512m', '1g', '-1k', 'é', '\ud800'),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
)
const entry = remote(async (_lev, _target: string) => undefined)
const sometimes = fc.oneof(
  { weight: 3, arbitrary: anything },
  oddNumbers,
  oddStrings,
  fc.array(fc.oneof(oddStrings, oddNumbers), { maxLength: 4 }),
  fc.dictionary(oddStrings, fc.oneof(oddStrings, oddNumbers, anything), { maxKeys: 3 }),
  fc.constantFrom<unknown>(
    entry,
    entry('x'),
    new Cr('levrt/busybox'),
    Buffer.from('x'),
    new AbortController().signal,
  ),
  fc.constant(() => 1),
)
const KEYS = [
  ...['schema', 'host', 'entry', 'cmd', 'env', 'files', 'links', 'ports', 'services', 'portTimeout'],
  ...['signal', 'timeout', 'idleTimeout', 'memory', 'cpus', 'pids', 'reuse', 'name', 'unknown'],
]
const crOptions = fc.oneof(fc.dictionary(fc.constantFrom(...KEYS), sometimes, { maxKeys: 6 }), anything)
const image = fc.oneof(
  fc.constantFrom('levrt/busybox', 'levkit/nmap:1.0', 'a@sha256:00'),
  oddStrings,
  anything,
)
const schema = fc.oneof(fc.constantFrom('t/x@1.0', 'ns/name@10.20'), oddStrings, anything)

/** Cr options of any shape: a Cr (nothing runs: it is lazy) or an OptionsError, nothing else. */
export function crProperty(seed: number, runs: number): Promise<PropertyResult> {
  return check(
    'Cr options',
    fc.tuple(image, fc.option(schema), crOptions, fc.boolean()),
    ([img, sch, options, withSchema]) => {
      try {
        // Typed callers cannot pass these; untyped ones (JS, JSON) can.
        const made = withSchema
          ? new Cr(img as string, sch as never, options as never)
          : new Cr(img as string, options as never)
        expectThat(made instanceof Cr && !made.started, () => 'made a Cr that started')
      } catch (err) {
        expectThat(err instanceof OptionsError, () => `threw ${describeError(err)}`)
      }
    },
    seed,
    runs,
  )
}

const metaFields = fc.dictionary(
  fc.constantFrom('exports', 'desc', 'params', 'cats', 'tags', 'ext', 'other'),
  fc.oneof(
    sometimes,
    fc.array(fc.constantFrom<unknown>(Attck.Reconnaissance, BlackArch.Scanner, 'Nope', 3), { maxLength: 3 }),
    fc.record({ Attck: fc.array(fc.constantFrom<unknown>(Attck.Impact, 'x')), BlackArch: sometimes }),
    fc.array(fc.tuple(oddStrings, oddStrings, sometimes), { maxLength: 2 }).map((ps) =>
      ps.map(([n, d, o]) => {
        try {
          return annot.param(n, d, o as never)
        } catch {
          return { name: n, desc: d, options: o }
        }
      }),
    ),
  ),
  { maxKeys: 6 },
)

/** annot.meta and annot.param with anything: a Meta (or Param) or an OptionsError. */
export function metaProperty(seed: number, runs: number): Promise<PropertyResult> {
  return check(
    'annot.meta',
    fc.oneof(
      metaFields.map((f) => ({ kind: 'object' as const, args: [f] })),
      fc.array(sometimes, { maxLength: 7 }).map((args) => ({ kind: 'positional' as const, args })),
      fc.tuple(oddStrings, oddStrings, sometimes).map((args) => ({ kind: 'param' as const, args })),
    ),
    ({ kind, args }) => {
      try {
        const made: unknown =
          kind === 'param'
            ? annot.param(...(args as Parameters<typeof annot.param>))
            : (annot.meta as (...a: unknown[]) => unknown)(...args)
        expectThat(typeof made === 'object' && made !== null, () => `answered ${String(made)}`)
        // What `levrt meta` prints: it must serialize.
        JSON.stringify(made)
      } catch (err) {
        expectThat(err instanceof OptionsError, () => `threw ${describeError(err)}`)
      }
    },
    seed,
    runs,
  )
}
