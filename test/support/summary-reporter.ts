import type { Reporter, TestModule } from 'vitest/node'

/** Ends the run with the plain line `N passed, N failed, N skipped` that CI reads in any language. */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0, pending: 0 }
    for (const m of modules) for (const t of m.children.allTests()) counts[t.result().state]++
    process.stdout.write(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`)
  }
}
