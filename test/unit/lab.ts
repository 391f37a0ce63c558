import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { contextOf, type Context } from '../../src/context'
import { quietSink } from '../../src/log/quiet'
import { EmbeddedStore } from '../../src/store/embedded'
import { MemoryEngine, type Script } from '../support/memory-engine'

export { rejection } from '../support/async'

export interface Lab {
  readonly engine: MemoryEngine
  readonly ctx: Context
  readonly home: string
}

const homes: string[] = []
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true })
})

/** A context on a fresh in-memory engine and a fresh embedded store: no Docker, no shared state. */
export function lab(script?: Script): Lab {
  const home = mkdtempSync(join(tmpdir(), 'levrt-unit-'))
  homes.push(home)
  const engine = new MemoryEngine(script)
  const ctx = contextOf({ engine, home, store: new EmbeddedStore(home), log: quietSink })
  return { engine, ctx, home }
}
