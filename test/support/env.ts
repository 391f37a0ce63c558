import { afterAll, beforeAll, expect } from 'vitest'
import { levrtObjects } from './engine'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const KEYS = ['LEV_HOME', 'LEV_MONGO_URL', 'LEV_MONGO_DB'] as const

/** Points the SDK at a store for the tests in a file; `restore()` puts the environment back. */
export function useStore(store: { mongoUrl: string; db: string } | 'embedded'): {
  home: string
  restore(): void
} {
  const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]))
  for (const k of KEYS) delete process.env[k]
  const home = mkdtempSync(join(tmpdir(), 'levrt-test-'))
  process.env.LEV_HOME = home // the embedded store, and the spool of either store
  if (store !== 'embedded') {
    process.env.LEV_MONGO_URL = store.mongoUrl
    process.env.LEV_MONGO_DB = store.db
  }
  return {
    home,
    restore() {
      for (const k of KEYS) {
        if (saved[k] === undefined) delete process.env[k]
        else process.env[k] = saved[k]
      }
      rmSync(home, { recursive: true, force: true })
    },
  }
}

/**
 * For a whole test file: its runs use a fresh embedded store, and once they are done nothing of
 * this worker's may remain on the engine.
 */
export function embeddedStoreLeavingNothing(): void {
  let env: ReturnType<typeof useStore>
  let before: Awaited<ReturnType<typeof levrtObjects>>
  beforeAll(async () => {
    env = useStore('embedded')
    before = await levrtObjects()
  })
  afterAll(async () => {
    expect(await levrtObjects()).toEqual(before)
    env.restore()
  })
}
