import type { Document } from './document'
import type { CrOptions, Schema } from './options'
import { currentNamespace } from './lev'
import { startRun } from './run/index'
import { parseSpec, SPEC, type RunSpec } from './spec'
import type { Task } from './task'

/** @internal How `Concurrent` starts a Cr with its own AbortSignal added to the Cr's. */
export const START_WITH = Symbol.for('levrt.startWith')

/**
 * A container spec. Lazy: nothing runs until it is started or awaited, and it runs once —
 * awaiting the same Cr again gives the same Document. Make a new Cr to run again.
 *
 * ```ts
 * const doc = await new Cr('levrt/busybox', { cmd: ['sh', '-c', 'echo hi; exit 3'] })
 * doc.exitCode // 3
 * ```
 */
export class Cr implements PromiseLike<Document> {
  /** @internal The checked options. */
  readonly [SPEC]: RunSpec
  /** The namespace of the context that made this Cr (see `lev.ns`). */
  private readonly namespace: readonly string[]
  private task: Promise<Task> | undefined
  private doc: Promise<Document> | undefined

  /** @throws OptionsError when an option is malformed, before anything is created. */
  constructor(image: string, options?: CrOptions)
  constructor(image: string, schema: Schema, options?: CrOptions)
  constructor(image: string, schemaOrOptions?: Schema | CrOptions, options?: CrOptions) {
    const schema = typeof schemaOrOptions === 'string' ? schemaOrOptions : undefined
    this[SPEC] = parseSpec(image, schema, typeof schemaOrOptions === 'string' ? options : schemaOrOptions)
    this.namespace = currentNamespace()
  }

  get image(): string {
    return this[SPEC].image
  }

  /** Starts the container (services first, ports waited for) and resolves with its Task. */
  start(): Promise<Task> {
    // Made inside a namespace: that one (`lev.ns('x').run(() => scan())` returns the Cr
    // un-started). Made outside any: the namespace it is started in.
    this.task ??= startRun(this[SPEC], this.namespace.length ? this.namespace : currentNamespace())
    return this.task
  }

  /** Whether `start()` (or `await`) has been called. */
  get started(): boolean {
    return this.task !== undefined
  }

  /** @internal `start()`, aborted also by `signal` (e.g. a Concurrent group's). */
  [START_WITH](signal: AbortSignal): Promise<Task> {
    const spec = this[SPEC]
    this.task ??= startRun(
      { ...spec, signal: spec.signal ? AbortSignal.any([spec.signal, signal]) : signal },
      this.namespace.length ? this.namespace : currentNamespace(),
    )
    return this.task
  }

  /** `start()`, then `task.done()`. */
  done(): Promise<Document> {
    this.doc ??= this.start().then((task) => task.done())
    return this.doc
  }

  then<A = Document, B = never>(
    onfulfilled?: ((doc: Document) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.done().then(onfulfilled, onrejected)
  }
}
