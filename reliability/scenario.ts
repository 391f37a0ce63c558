/**
 * One reliability scenario: a load, faults injected into it at moments drawn from `seed`, and
 * what came out. Each scenario lives in its own file under scenarios/ and is listed in
 * scenarios/index.ts; `npm run reliability` runs them at full scale, test/reliability.test.ts
 * at `short` scale (same code, smaller counts) inside `npm test`.
 */
export interface Scenario {
  /** R0, R1, ...: the id the README's table and BENCH.md use. */
  readonly id: string
  readonly title: string
  run(how: ScenarioRun): Promise<Outcome>
}

export interface ScenarioRun {
  /** Every random choice of the scenario comes from this seed (see lib/random.ts), printed with the table. */
  readonly seed: number
  /** `short` runs in `npm test` (a few minutes for all scenarios together); `full` in `npm run reliability`. */
  readonly scale: 'short' | 'full'
  /** One line of progress (stderr): what was injected when. */
  log(line: string): void
}

export interface Outcome {
  /** The load, e.g. `500 runs at limit 16`. */
  readonly load: string
  /** The faults injected, e.g. `12 container kills, 2 engine restarts`. */
  readonly faults: string
  /** Objects of ours left on the engine(s) after the scenario's clean-up (must be 0). */
  readonly leaks: number
  /** Results acknowledged to the caller and then not found, or runs that ended untyped or hung (must be 0). */
  readonly losses: number
  /** Anything else that failed the scenario; empty when it passed. */
  readonly problems: readonly string[]
  /** Figures worth a column of their own (e.g. `peak RSS 92 MiB`). */
  readonly notes?: string
}

export function passed(outcome: Outcome): boolean {
  return outcome.leaks === 0 && outcome.losses === 0 && outcome.problems.length === 0
}
