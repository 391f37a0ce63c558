import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: {
    alias: { levrt: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Files run one after another: tests count the engine's labelled objects before and after,
    // which only means something when no other file is creating them at the same time.
    fileParallelism: false,
    env: { TESTCONTAINERS_RYUK_DISABLED: 'true' },
  },
})
