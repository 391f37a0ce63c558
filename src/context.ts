import { AsyncLocalStorage } from 'node:async_hooks'
import type Dockerode from 'dockerode'
import { dockerOptionsOf } from './docker/address'
import { DockerEngine } from './engine/docker-engine'
import { OptionsError } from './errors'
import type { Engine } from './engine/engine'
import type { Sweeps } from './engine/gc'
import { healthOf, type EngineHealth, type EngineHealths } from './engine/health'
import type { EntrySources } from './history/entry-source'
import { DigestCache } from './history/file-digest'
import { ignoreClosedReader, LogSinks, type LogMode, type LogSink } from './log'
import type { SpoolRetries } from './results/spool'
import type { Reapers } from './reaper'
import { LiveRuns } from './run/live'
import { RunNames } from './run/names'
import { RuntimeMemo } from './runtime/memo'
import { EmbeddedStore } from './store/embedded'
import { MongoStore } from './store/mongo'
import { levHome, StoreRegistry, type Store } from './store'

/**
 * What a context remembers between its runs: caches of facts (file digests, which images have
 * node, the runtime volumes filled, the key indexes asked for) and its live runs. Nothing of
 * this lives in a module: two contexts never share it.
 */
export class ContextMemo {
  readonly names = new RunNames()
  readonly live = new LiveRuns()
  readonly runtime = new RuntimeMemo()
  readonly digests = new DigestCache()
  readonly entrySources: EntrySources = new Map()
  readonly keyIndexes = new Set<string>()
  readonly spoolRetries: SpoolRetries = new Set<string>()
  readonly sweeps: Sweeps = new WeakMap()
  readonly reapers: Reapers = new WeakMap()
  readonly healths: EngineHealths = new WeakMap()

  /** What this context knows of `engine`'s availability; its return starts a new session reaper. */
  health(engine: Engine): EngineHealth {
    // The engine's restart took the reaper with it: the next run starts one again.
    return healthOf(this.healths, engine, () => this.reapers.delete(engine))
  }
}

/**
 * What a run works with: the engine, the results store, the home folder (spool, oversize
 * results) and the live log, with the memo of what it learned so far. Runs pick up the
 * context they are started in (see `withContext`); the default one follows the environment
 * at the moment a run starts, so a script may switch stores by setting `LEV_MONGO_URL`.
 */
export interface Context {
  readonly engine: Engine
  store(): Store
  home(): string
  log(): LogSink
  /** @internal */
  readonly memo: ContextMemo
}

/** The parts of a context: fixed values, or functions read when a run starts. */
export interface ContextParts {
  readonly engine: Engine
  readonly store?: Store | (() => Store)
  readonly home?: string | (() => string)
  readonly log?: LogSink | (() => LogSink)
}

/** @internal A context of given parts; what is not given follows the environment. */
export function contextOf(parts: ContextParts): Context {
  const stores = new StoreRegistry()
  const sinks = new LogSinks()
  const { store, home, log } = parts
  // levrt writes its log, pull progress and notices to stderr: a closed one must not crash a run.
  ignoreClosedReader(process.stderr)
  return {
    engine: parts.engine,
    store: typeof store === 'function' ? store : store ? () => store : () => stores.fromEnv(),
    home: typeof home === 'function' ? home : home !== undefined ? () => home : () => levHome(),
    log: typeof log === 'function' ? log : log ? () => log : () => sinks.fromEnv(),
    memo: new ContextMemo(),
  }
}

/**
 * Where a context's runs go.
 *
 * ```ts
 * const lab = createContext({ docker: { socketPath: '/run/lab/docker.sock' }, home: '/tmp/lab' })
 * ```
 */
export interface ContextOptions {
  /** dockerode's connection options; by default `DOCKER_HOST` or the local socket, as the docker CLI. */
  readonly docker?: Dockerode.DockerOptions
  /** Results go to this MongoDB (database `mongoDb`, default `lev`) instead of the embedded store. */
  readonly mongoUrl?: string
  readonly mongoDb?: string
  /** The embedded store, the spool and oversize results live here (default `LEV_HOME` or `~/.levrt`). */
  readonly home?: string
  /** The live log of this context's runs (default `LEVRT_LOG`, else quiet). */
  readonly log?: LogMode
}

/**
 * A context of its own: its engine connection, store, home and log, for `withContext`.
 * What is not given follows the environment, as the default context does.
 */
export function createContext(options: ContextOptions = {}): Context {
  const sinks = new LogSinks()
  const home = options.home
  const store = options.mongoUrl
    ? new MongoStore(options.mongoUrl, options.mongoDb || 'lev')
    : home !== undefined
      ? new EmbeddedStore(home)
      : undefined
  return contextOf({
    engine: DockerEngine.connect(options.docker),
    store,
    home,
    log: options.log ? sinks.of(options.log) : undefined,
  })
}

// The module-level values: the default context (made on first use), the contexts of short forms
// (see shorthandContext) and the async scope.
let fallback: Context | undefined
const shorthands = new Map<string, Context>()
const scope = new AsyncLocalStorage<Context>()

/** The process's default context: one engine connection, the rest read from the environment. */
export function defaultContext(): Context {
  fallback ??= contextOf({ engine: new DockerEngine() })
  return fallback
}

/** The context of the calling async scope: the innermost `withContext`'s, else the default. */
export function currentContext(): Context {
  return scope.getStore() ?? defaultContext()
}

/**
 * The contract's short form of a context for `withContext`: what is not given follows the
 * environment, as the default context does.
 *
 * ```ts
 * await withContext({ home: '/tmp/lab' }, () => new Cr('levrt/busybox', { cmd: ['true'] }))
 * await withContext({ engine: 'tcp://10.0.0.5:2375', store: 'mongodb://db:27017' }, () => workflow())
 * ```
 */
export interface ContextShorthand {
  /** An engine address as `DOCKER_HOST` is written (`unix://`, `tcp://`, `ssh://`), or dockerode's options. */
  readonly engine?: string | Dockerode.DockerOptions
  /** A MongoDB URL (database `LEV_MONGO_DB`, else `lev`); without it, the embedded store of `home`. */
  readonly store?: string
  /** The embedded store, the spool and oversize results live here. */
  readonly home?: string
}

/**
 * Runs `fn` with `ctx` as the context of every run started inside it (awaits included), so a
 * program can drive two engines or two stores side by side. `ctx` is a `createContext` result
 * (reused across calls: one engine connection) or the short form, made into one for this call.
 *
 * ```ts
 * const archive = createContext({ mongoUrl: 'mongodb://127.0.0.1:27017', mongoDb: 'archive' })
 * const doc = await withContext(archive, () => new Cr('levrt/busybox', { cmd: ['true'] }))
 * ```
 */
export function withContext<T>(ctx: Context | ContextShorthand, fn: () => T): T {
  return scope.run(isContext(ctx) ? ctx : shorthandContext(ctx), fn)
}

/**
 * The context of a short form, made once per distinct form: a context per call would open an
 * engine connection and start a session reaper per call.
 */
function shorthandContext(short: ContextShorthand): Context {
  let key: string | undefined
  try {
    key = JSON.stringify([short.engine, short.store, short.home, process.env.LEV_MONGO_DB])
  } catch {
    key = undefined // options JSON cannot hold (a cycle): a context of its own
  }
  const known = key === undefined ? undefined : shorthands.get(key)
  if (known) return known
  const made = contextOfShorthand(short)
  if (key !== undefined) shorthands.set(key, made)
  return made
}

function isContext(ctx: Context | ContextShorthand): ctx is Context {
  return 'memo' in ctx && ctx.memo instanceof ContextMemo
}

function contextOfShorthand(short: ContextShorthand): Context {
  const { engine, store, home } = short
  for (const key of Object.keys(short))
    if (!['engine', 'store', 'home'].includes(key))
      throw new OptionsError(`context.${key}`, 'is not a context part (engine, store, home)')
  if (store !== undefined && !/^mongodb(\+srv)?:\/\//.test(String(store)))
    throw new OptionsError('context.store', `${JSON.stringify(store)} is not a MongoDB URL (mongodb://...)`)
  if (home !== undefined && typeof home !== 'string')
    throw new OptionsError('context.home', 'must be a folder path')
  return createContext({
    docker: typeof engine === 'string' ? dockerOptionsOf(engine, 'context.engine') : engine,
    mongoUrl: store,
    mongoDb: process.env.LEV_MONGO_DB,
    home,
  })
}
