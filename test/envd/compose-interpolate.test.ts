import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { interpolate, render, type Interpolated } from '../../src/envd/compose/interpolate'
import { appliedLimits } from '../../src/envd/compose/limits'
import { durationMs, sizeBytes } from '../../src/envd/compose/units'

/** Interpolation as the compose specification defines it, and the limit clamping, without an engine. */

const VARS = new Map([
  ['SET', 'value'],
  ['EMPTY', ''],
])
const text = (got: Interpolated) => ('pieces' in got ? render(got.pieces, null) : `error: ${got.error}`)

describe('compose interpolation', () => {
  it.each([
    ['$SET and ${SET}', 'value and value'],
    ['$$SET costs $$5 and $${SET}', '$SET costs $5 and ${SET}'],
    ['${SET:-d}|${EMPTY:-d}|${UNSET:-d}', 'value|d|d'],
    ['${SET-d}|${EMPTY-d}|${UNSET-d}', 'value||d'],
    ['${SET:+a}|${EMPTY:+a}|${UNSET:+a}', 'a||'],
    ['${SET+a}|${EMPTY+a}|${UNSET+a}', 'a|a|'],
    ['${SET:?e}|${EMPTY?e}', 'value|'],
    ['${UNSET:-${SET}-x}', 'value-x'],
    ['${UNSET:-${ALSO_UNSET:-deep}}', 'deep'],
    ['a_$SET.b', 'a_value.b'],
    ['no dollar at all', 'no dollar at all'],
  ])('%s -> %s', (input, expected) => {
    expect(text(interpolate(input, VARS))).toBe(expected)
  })

  it.each([
    ['${UNSET}', /variable UNSET is not set/],
    ['$UNSET', /variable UNSET is not set/],
    ['${EMPTY:?must be filled}', /variable EMPTY is required: must be filled/],
    ['${UNSET?}', /variable UNSET is required/],
    ['cost $5', /a lone "\$" at 5/],
    ['ends with $', /a lone "\$"/],
    ['${SET', /has no closing "\}"/],
    ['${1BAD}', /is not a variable/],
  ])('%s is refused', (input, error) => {
    expect(text(interpolate(input, VARS))).toMatch(error)
  })

  it('never reads the host environment', () => {
    process.env.LEVRT_TEST_HOST_ONLY = 'host'
    try {
      expect(text(interpolate('${LEVRT_TEST_HOST_ONLY}', VARS))).toMatch(/is not set/)
      expect(text(interpolate('${LEVRT_TEST_HOST_ONLY:-file}', VARS))).toBe('file')
    } finally {
      delete process.env.LEVRT_TEST_HOST_ONLY
    }
  })

  it('$$ gives back any text: escaping every $ is the identity', () => {
    fc.assert(fc.property(fc.string(), (s) => text(interpolate(s.split('$').join('$$'), VARS)) === s))
  })

  it('a value that names a variable is that variable, whatever its text', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (value, around) => {
        const safe = around.split('$').join('$$')
        const got = interpolate(`${safe}\${V}${safe}`, new Map([['V', value]]))
        return text(got) === `${around}${value}${around}`
      }),
    )
  })

  it('FLAG is a place filled at deploy: the flag, or empty, or the :- default when empty', () => {
    const got = interpolate(
      'FLAG=${FLAG} alt=${FLAG:-none} req=${FLAG:?needed}',
      new Map([['FLAG', 'from .env is ignored']]),
    )
    if (!('pieces' in got)) throw new Error(got.error)
    expect(render(got.pieces, 'flag{x}')).toBe('FLAG=flag{x} alt=flag{x} req=flag{x}')
    expect(render(got.pieces, null)).toBe('FLAG= alt=none req=')
    expect(got.pieces).toContainEqual({ flag: true, required: 'needed' })
    expect(text(interpolate('${FLAG:+x}', VARS))).toMatch(/not supported: write \$\{FLAG\}/)
  })
})

describe('compose limits', () => {
  const caps = { nanoCpus: 0.5e9, memoryBytes: 256 * 2 ** 20, pids: 128 }

  it('each limit is the lower of the file and the cap', () => {
    const optional = (max: number) => fc.option(fc.integer({ min: 1, max }), { nil: undefined })
    fc.assert(
      fc.property(
        optional(4e9),
        optional(2 ** 33),
        optional(10_000),
        optional(2 ** 33),
        (nanoCpus, memoryBytes, pids, shmBytes) => {
          const got = appliedLimits(
            {
              nanoCpus,
              memoryBytes,
              pids,
              shmBytes,
              ulimits: [{ name: 'nofile', soft: 2_000_000, hard: -1 }],
            },
            caps,
          )
          expect(got.nanoCpus).toBe(Math.min(nanoCpus ?? Infinity, caps.nanoCpus))
          expect(got.memoryBytes).toBe(Math.min(memoryBytes ?? Infinity, caps.memoryBytes))
          expect(got.pids).toBe(Math.min(pids ?? Infinity, caps.pids))
          expect(got.shmBytes).toBe(shmBytes === undefined ? undefined : Math.min(shmBytes, got.memoryBytes))
          // nofile: at most Docker's own default, -1 (unlimited) included.
          expect(got.ulimits).toEqual([{ name: 'nofile', soft: 1_048_576, hard: 1_048_576 }])
        },
      ),
    )
  })

  it('reads compose sizes and durations', () => {
    expect([
      sizeBytes('512m'),
      sizeBytes('1gb'),
      sizeBytes('64M'),
      sizeBytes(1024),
      sizeBytes('1.5k'),
    ]).toEqual([512 * 2 ** 20, 2 ** 30, 64 * 2 ** 20, 1024, 1536])
    expect([durationMs('1m30s'), durationMs('500ms'), durationMs('2h'), durationMs('10s')]).toEqual([
      90_000, 500, 7_200_000, 10_000,
    ])
  })
})
