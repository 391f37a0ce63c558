import { homedir } from 'node:os'
import { join } from 'node:path'
import { EmbeddedStore } from './embedded'
import { MongoStore } from './mongo'
import type { Store } from './store'

export { MAX_DOCUMENT_BYTES, RUN_FIELD, type ResultCollection, type RunRecord, type Store, type StoredDoc, type Filter, type Projection, type Sort, type FindOptions, type IndexKeys, type IndexOptions } from './store'

const stores = new Map<string, Store>()

/**
 * The store the environment names, read when a run starts (so a script may switch it):
 * `LEV_MONGO_URL` (+ `LEV_MONGO_DB`, default `lev`) for MongoDB, else the embedded store in
 * `LEV_HOME` (default `~/.levrt`). One store object per target, shared by every run.
 */
export function storeFromEnv(env: NodeJS.ProcessEnv = process.env): Store {
  const url = env.LEV_MONGO_URL
  const key = url ? `mongodb ${url} ${env.LEV_MONGO_DB || 'lev'}` : `embedded ${levHome(env)}`
  let store = stores.get(key)
  if (!store) {
    store = url ? new MongoStore(url, env.LEV_MONGO_DB || 'lev') : new EmbeddedStore(levHome(env))
    stores.set(key, store)
  }
  return store
}

export function levHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.LEV_HOME || join(homedir(), '.levrt')
}
