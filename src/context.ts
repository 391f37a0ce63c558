import { DockerEngine } from './engine/docker-engine'
import type { Engine } from './engine/engine'
import { logFromEnv, type LogSink } from './log'
import { levHome, storeFromEnv, type Store } from './store'

/**
 * What a run works with: the engine, the results store, the home folder (spool, oversize
 * results) and the live log. One default instance serves every run of the process; the store,
 * home and log follow the environment at the moment a run starts, so a script may switch them.
 */
export interface Context {
  readonly engine: Engine
  store(): Store
  home(): string
  log(): LogSink
}

let fallback: Context | undefined

/** The process's default context: one engine connection, the rest read from the environment. */
export function defaultContext(): Context {
  fallback ??= {
    engine: new DockerEngine(),
    store: () => storeFromEnv(),
    home: () => levHome(),
    log: () => logFromEnv(),
  }
  return fallback
}
