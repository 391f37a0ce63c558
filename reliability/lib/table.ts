import { passed, type Outcome, type Scenario } from '../scenario'

export interface Row {
  readonly scenario: Scenario
  readonly seed: number
  readonly outcome: Outcome
  readonly ms: number
}

/** The table `npm run reliability` prints and the README carries (Markdown, so it pastes as is). */
export function table(rows: readonly Row[]): string {
  const lines = [
    '| scenario | load | faults injected | outcome | leaks | losses | time | notes |',
    '|---|---|---|---|---|---|---|---|',
  ]
  for (const { scenario, seed, outcome, ms } of rows) {
    const verdict = passed(outcome) ? 'pass' : `FAIL: ${outcome.problems.join('; ') || 'see leaks/losses'}`
    lines.push(
      `| ${scenario.id} ${scenario.title} (seed ${seed}) | ${outcome.load} | ${outcome.faults} | ${verdict} | ` +
        `${outcome.leaks} | ${outcome.losses} | ${(ms / 1000).toFixed(1)} s | ${outcome.notes ?? ''} |`,
    )
  }
  return lines.join('\n')
}
