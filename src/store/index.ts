import { homedir } from 'node:os'
import { join } from 'node:path'
import { EmbeddedStore } from './embedded'
import { MongoStore } from './mongo'
import type { Store } from './store'

export {
  MAX_DOCUMENT_BYTES,
  RUN_FIELD,
  type CollectionSummary,
  type ResultCollection,
  type RunRecord,
  type Store,
  type StoredDoc,
  type Filter,
  type Projection,
  type Sort,
  type FindOptions,
  type IndexKeys,
  type IndexOptions,
} from './store'

/**
 * The store the environment names: `LEV_MONGO_URL` (+ `LEV_MONGO_DB`, default `lev`) for
 * MongoDB, else the embedded store in `LEV_HOME` (default `~/.levrt`). A new store object: a
 * program that asks more than once keeps one (see StoreRegistry).
 */
export function storeFromEnv(env: NodeJS.ProcessEnv = process.env): Store {
  const url = env.LEV_MONGO_URL
  return url ? new MongoStore(url, env.LEV_MONGO_DB || 'lev') : new EmbeddedStore(levHome(env))
}

/** One store object per target, shared by every run of a context; read when a run starts. */
export class StoreRegistry {
  private readonly stores = new Map<string, Store>()

  fromEnv(env: NodeJS.ProcessEnv = process.env): Store {
    const url = env.LEV_MONGO_URL
    const key = url ? `mongodb ${url} ${env.LEV_MONGO_DB || 'lev'}` : `embedded ${levHome(env)}`
    let store = this.stores.get(key)
    if (!store) this.stores.set(key, (store = storeFromEnv(env)))
    return store
  }
}

export function levHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.LEV_HOME || join(homedir(), '.levrt')
}
