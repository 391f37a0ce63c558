import { defineConfig } from 'vitest/config'

// The unit suite: Run, Concurrent, the watchdog, history and records on the in-memory engine.
// No global setup: it needs neither a Docker engine nor a MongoDB server.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 20_000,
    env: { LEV_GC: 'on' },
  },
})
