import { existsSync, statSync } from 'node:fs'
import { extname, resolve } from 'node:path'
import { checkMeta, type Meta } from '../annot/meta'
import { UsageError } from './usage'

/** A function a workflow module exports, as the command line calls it. */
export type WorkflowFunction = (...args: unknown[]) => unknown

/** A loaded workflow module: its `meta` (checked) and the functions `levrt run` may call. */
export interface WorkflowModule {
  /** The path as given on the command line, for messages. */
  readonly path: string
  readonly meta: Meta | undefined
  /** By export name: `meta.exports` when the meta lists them, else every exported function. */
  readonly functions: ReadonlyMap<string, WorkflowFunction>
}

/** The module's own code threw while it loaded (its top level, or `annot.meta`): exit 1. */
export class ModuleLoadError extends Error {
  override readonly name = 'ModuleLoadError'
  constructor(
    readonly path: string,
    override readonly cause: unknown,
  ) {
    super(`cannot load ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
  }
}

const EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'])

type Register = (options?: { namespace?: string }) => () => void

/**
 * tsx's CommonJS hook: `require` then compiles TypeScript (and ESM syntax) with esbuild, for the
 * module and everything it imports, honouring tsconfig.json `paths`. It does not type-check:
 * that is tsc's job, and skipping it keeps `levrt run` starting in well under a second. The
 * hook stays: modules may require more files later.
 */
function registerTypeScript(): void {
  // `tsx/cjs/api` is found through package.json "exports", which tsc's node10 resolution does
  // not read: hence require with its type written here.
  ;(require('tsx/cjs/api') as { register: Register }).register()
}

/** A loader of workflow modules: TypeScript support is registered on its first load. */
export function moduleLoader(): (path: string) => WorkflowModule {
  let registered = false
  return (path) => {
    const mod = loadModule(path, () => {
      if (!registered) registerTypeScript()
      registered = true
    })
    return mod
  }
}

/**
 * Loads `path` (a .ts or .js file, relative to the working directory).
 * @throws UsageError when there is no such file, or its `meta` is malformed or lists a function
 *   it does not export; ModuleLoadError when its code throws.
 */
function loadModule(path: string, register: () => void): WorkflowModule {
  const file = resolve(path)
  if (!existsSync(file)) throw new UsageError(`no such module: ${path}`)
  if (!statSync(file).isFile()) throw new UsageError(`${path} is not a file: a module is a .ts or .js file`)
  if (!EXTENSIONS.has(extname(file))) throw new UsageError(`${path} is not a .ts or .js file`)
  register()
  let exports: Record<string, unknown>
  try {
    exports = require(file) as Record<string, unknown>
  } catch (err) {
    throw new ModuleLoadError(path, err)
  }
  const meta = readMeta(exports, path)
  const functions = meta?.exports ? namesOf(meta.exports, exports, path) : exportedFunctions(exports)
  return { path, meta, functions }
}

/** The module's `meta`, checked as `annot.meta` checks it (a hand-written one too). */
function readMeta(exports: Record<string, unknown>, path: string): Meta | undefined {
  if (exports.meta === undefined) return undefined
  try {
    return checkMeta(exports.meta)
  } catch (err) {
    throw new UsageError(`${path}: its meta is not valid: ${(err as Error).message}`)
  }
}

/** Each of `meta.exports` by the name the module exports it under (found by identity). */
function namesOf(
  listed: NonNullable<Meta['exports']>,
  exports: Record<string, unknown>,
  path: string,
): Map<string, WorkflowFunction> {
  const byValue = new Map<unknown, string>()
  for (const [name, value] of Object.entries(exports)) if (!byValue.has(value)) byValue.set(value, name)
  return new Map(
    listed.map((fn, i) => {
      const name = byValue.get(fn)
      if (name === undefined) {
        throw new UsageError(
          `${path}: meta.exports[${i}] (${fn.name || 'an anonymous function'}) is not exported by the module, so it cannot be named`,
        )
      }
      return [name, fn as WorkflowFunction]
    }),
  )
}

function exportedFunctions(exports: Record<string, unknown>): Map<string, WorkflowFunction> {
  return new Map(
    Object.entries(exports).filter((e): e is [string, WorkflowFunction] => typeof e[1] === 'function'),
  )
}

/** The module's `meta`, or a UsageError saying it has none. */
export function requireMeta(mod: WorkflowModule): Meta {
  if (!mod.meta)
    throw new UsageError(
      `${mod.path} has no meta: a workflow module describes itself with \`export const meta = annot.meta({ ... })\``,
    )
  return mod.meta
}
