import { describe, expect, it } from 'vitest'
import { annot, Attck, BlackArch, OptionsError } from '../src/index'
import { checkMeta } from '../src/annot'

/** `annot.meta` as the seed has it: `(exports, desc, params, cats, tags, ext)`, every field optional. */
describe('annot.meta: the seed form and the object form', () => {
  const scan = (ip: string) => ip
  const ip = annot.param('ip', 'target ip', { holder: '10.0.0.1' })
  const EMPTY = {
    exports: undefined,
    desc: '',
    params: [],
    cats: { Attck: [], BlackArch: [] },
    tags: [],
    ext: {},
  }

  it('fills every left-out field with its default, in both forms', () => {
    for (const meta of [
      annot.meta(),
      annot.meta({}),
      annot.meta(undefined),
      annot.meta(undefined, undefined),
    ]) {
      expect(meta).toStrictEqual(EMPTY)
      expect(Object.isFrozen(meta) && Object.isFrozen(meta.cats)).toBe(true)
    }
  })

  it('reads the positional fields in the seed order, to the same meta as the object form', () => {
    const ext = { author: 'lab', nested: { level: 2 } }
    const positional = annot.meta([scan], 'scan a host', [ip], { Attck: [Attck.Discovery] }, ['nmap'], ext)
    const object = annot.meta({
      exports: [scan],
      desc: 'scan a host',
      params: [ip],
      cats: { Attck: [Attck.Discovery] },
      tags: ['nmap'],
      ext,
    })
    expect(positional).toStrictEqual(object)
    expect(positional).toStrictEqual({
      exports: [scan],
      desc: 'scan a host',
      params: [ip],
      cats: { Attck: [Attck.Discovery], BlackArch: [] },
      tags: ['nmap'],
      ext,
    })
    // ext is the module's own object, kept as given (the same object, not frozen).
    expect(positional.ext).toBe(ext)
    expect(Object.isFrozen(ext)).toBe(false)
  })

  it('takes cats as one list mixing both enums, sorted into { Attck, BlackArch } in the given order', () => {
    const meta = annot.meta({
      cats: [BlackArch.Scanner, Attck.Discovery, BlackArch.Recon, Attck.Reconnaissance],
    })
    expect(meta.cats).toStrictEqual({
      Attck: [Attck.Discovery, Attck.Reconnaissance],
      BlackArch: [BlackArch.Scanner, BlackArch.Recon],
    })
    expect(annot.meta(undefined, 'd', [], [Attck.Impact]).cats).toStrictEqual({
      Attck: [Attck.Impact],
      BlackArch: [],
    })
  })

  it('checks a meta it made to the same meta (what levrt meta and levrt run do on load)', () => {
    const meta = annot.meta(undefined, 'd', [ip], [Attck.Discovery, BlackArch.Scanner], ['t'], { x: 1 })
    expect(checkMeta(meta)).toStrictEqual(meta)
    expect(checkMeta({ desc: 'hand-written' })).toStrictEqual({ ...EMPTY, desc: 'hand-written' })
  })

  // What TypeScript refuses (test/types.check.ts) is refused at run time too, for JavaScript modules.
  const loose = annot.meta as (...args: unknown[]) => unknown
  it.each([
    ['an empty list of exports', () => loose([], 'd'), 'meta.exports'],
    ['exports that are not a list', () => loose(scan, 'd'), 'meta.exports'],
    [
      'a positional export that is not a function',
      () => loose([scan, 'alive'], 'd', [ip]),
      'meta.exports[1]',
    ],
    ['a positional description that is not a string', () => loose([scan], 42, [ip]), 'meta.desc'],
    ['positional params that are not a list', () => loose([scan], 'd', ip), 'meta.params'],
    [
      'a string in a list of categories',
      () => loose(undefined, 'd', [], [Attck.Discovery, 'scanner']),
      'meta.cats[1]',
    ],
    ['a category listed twice', () => loose({ cats: [Attck.Discovery, Attck.Discovery] }), 'meta.cats[1]'],
    ['cats that are a string', () => loose({ cats: 'scanner' }), 'meta.cats'],
    ['an ext that is a string', () => loose(undefined, 'd', [], [], [], 'lab'), 'meta.ext'],
    ['an ext that is a list', () => loose({ ext: ['lab'] }), 'meta.ext'],
    // Issue 17 (R4): `levrt meta` prints ext as JSON, which threw a TypeError on these.
    ['an ext holding a BigInt', () => loose({ ext: { n: 1n } }), 'meta.ext'],
    ['an ext with a cycle', () => loose({ ext: cyclic() }), 'meta.ext'],
    ['a category that is a BigInt', () => loose({ cats: [2n] }), 'meta.cats[0]'],
    ['the object form with a second argument', () => loose({ desc: 'd' }, 'again'), 'meta'],
    ['more than six positional fields', () => loose([scan], 'd', [ip], [], [], {}, 'more'), 'meta'],
  ])('%s is an OptionsError naming it', (_, make, option) => {
    expect(make).toThrow(expect.objectContaining({ constructor: OptionsError, option }))
  })
})

function cyclic(): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  o.self = o
  return o
}
