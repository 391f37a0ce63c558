import { describe, expect, it } from 'vitest'
import { passed } from '../reliability/scenario'
import { scenarios } from '../reliability/scenarios'
import { table } from '../reliability/lib/table'

// The short version of `npm run reliability`: the same scenarios with smaller counts and the
// fixed seeds the full run uses, so a failure here replays there with `--seed`.
describe('reliability (short)', () => {
  it('lists the scenarios R0 to R6, in order', () => {
    expect(scenarios.map((s) => s.id)).toEqual(['R0', 'R1', 'R2', 'R3', 'R4', 'R5', 'R6'])
  })

  for (const [i, scenario] of scenarios.entries()) {
    it(`${scenario.id} ${scenario.title}`, { timeout: 300_000 }, async () => {
      const seed = 1000 + i
      const begun = Date.now()
      const outcome = await scenario.run({
        seed,
        scale: 'short',
        log: (line) => console.log(`${scenario.id}: ${line}`),
      })
      console.log(table([{ scenario, seed, outcome, ms: Date.now() - begun }]))
      expect(outcome.problems).toEqual([])
      expect({ leaks: outcome.leaks, losses: outcome.losses }).toEqual({ leaks: 0, losses: 0 })
      expect(passed(outcome)).toBe(true)
    })
  }
})
