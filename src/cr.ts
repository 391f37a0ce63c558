import { currentContext, defaultContext, type Context } from './context'
import type { Document } from './document'
import { currentNamespace } from './lev'
import type { CrOptions } from './options'
import { startRun, type RunUse } from './run/index'
import { SPEC, type RunSpec } from './run-spec'
import { parseSpec } from './spec'
import type { Task } from './task'

/** @internal How `Concurrent` starts a Cr with its own AbortSignal added to the Cr's. */
export const START_WITH = Symbol.for('levrt.startWith')
/** @internal How `Concurrent` takes a Cr for itself: false if it was started or taken already. */
export const CLAIM = Symbol.for('levrt.claim')

/**
 * A container spec. Lazy: nothing runs until it is started or awaited, and it runs once —
 * awaiting the same Cr again gives the same Document. Make a new Cr to run again.
 *
 * ```ts
 * const doc = await new Cr('levrt/busybox', { cmd: ['sh', '-c', 'echo hi; exit 3'] })
 * doc.exitCode // 3
 * ```
 */
export class Cr implements Promise<Document> {
  /** @internal The checked options. */
  readonly [SPEC]: RunSpec
  /** The namespace of the context that made this Cr (see `lev.ns`). */
  private readonly namespace: readonly string[]
  /** The context (engine, store) of the scope that made this Cr, if any (see `withContext`). */
  private readonly context: Context | undefined
  private task: Promise<Task> | undefined
  private doc: Promise<Document> | undefined
  private claimed = false
  readonly [Symbol.toStringTag] = 'Cr'

  /** @throws OptionsError when an option is malformed, before anything is created. */
  constructor(image: string, options?: CrOptions)
  constructor(image: string, schema: string, options?: CrOptions)
  constructor(image: string, schemaOrOptions?: string | CrOptions, options?: CrOptions) {
    const schema = typeof schemaOrOptions === 'string' ? schemaOrOptions : undefined
    this[SPEC] = parseSpec(image, schema, typeof schemaOrOptions === 'string' ? options : schemaOrOptions)
    this.namespace = currentNamespace()
    this.context = madeIn()
  }

  get image(): string {
    return this[SPEC].image
  }

  /** Starts the container (services first, ports waited for) and resolves with its Task. */
  start(): Promise<Task> {
    // Made inside a namespace: that one (`lev.ns('x').run(() => scan())` returns the Cr
    // un-started). Made outside any: the namespace it is started in.
    this.task ??= this.run(this[SPEC], 'started')
    return this.task
  }

  /** Whether `start()` (or `await`) has been called. */
  get started(): boolean {
    return this.task !== undefined
  }

  /** @internal `start()`, aborted also by `signal` (e.g. a Concurrent group's). */
  [START_WITH](signal: AbortSignal): Promise<Task> {
    const spec = this[SPEC]
    // A group awaits its work for the results: an earlier run may stand in.
    this.task ??= this.run(
      { ...spec, signal: spec.signal ? AbortSignal.any([spec.signal, signal]) : signal },
      'awaited',
    )
    return this.task
  }

  /** @internal */
  [CLAIM](): boolean {
    if (this.task || this.claimed) return false
    this.claimed = true
    return true
  }

  private run(spec: RunSpec, use: RunUse): Promise<Task> {
    return startRun(
      spec,
      this.namespace.length ? this.namespace : currentNamespace(),
      use,
      this.context ?? currentContext(),
    )
  }

  /** `start()`, then `task.done()`. */
  done(): Promise<Document> {
    // Awaited for its results: `reuse` may stand in (a Task from start() is always a real run).
    this.task ??= this.run(this[SPEC], 'awaited')
    this.doc ??= this.task.then((task) => task.done())
    return this.doc
  }

  then<A = Document, B = never>(
    onfulfilled?: ((doc: Document) => A | PromiseLike<A>) | null,
    // `any`, a promise's meaning: `new Cr(...).catch((e) => e.document)` compiles.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    onrejected?: ((reason: any) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.done().then(onfulfilled, onrejected)
  }

  /** `cr.catch(fn)` is `cr.done().catch(fn)`: e.g. `new Cr(...).catch((e) => e.document)`. */
  catch<B = never>(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    onrejected?: ((reason: any) => B | PromiseLike<B>) | null,
  ): Promise<Document | B> {
    return this.done().catch(onrejected)
  }

  /** `cr.finally(fn)` is `cr.done().finally(fn)`. */
  finally(onfinally?: (() => void) | null): Promise<Document> {
    return this.done().finally(onfinally)
  }
}

/** The context of a `withContext` scope around the Cr's making; undefined at the top level. */
function madeIn(): Context | undefined {
  const ctx = currentContext()
  return ctx === defaultContext() ? undefined : ctx
}
