import { constants } from 'node:os'
import type { Readable } from 'node:stream'
import { Document } from './document'
import type { Container } from './engine/engine'
import { OptionsError } from './errors'
import type { OutputHub } from './output'
import type { RunRecord, Store } from './store'

/** @internal What a started run hands its Task. */
export interface RunHandle {
  readonly id: string
  readonly image: string
  readonly container: Container
  readonly output: OutputHub
  readonly store: Store
  readonly collection: string
  readonly startedAt: Date
}

/**
 * What TypeScript sees for `await cr.start()` and for `await task` alike. In JavaScript a
 * promise cannot resolve to a thenable, and TypeScript's `Awaited` follows the same rule, so both
 * expressions have one static type; this one lets both usages of the contract compile:
 * `const task = await cr.start(); await task.signal()` and `const doc = await task; await doc.get()`.
 * At run time the first is the Task and the second its Document (see the README).
 */
export type AwaitedTask = Omit<Task, 'then'> & Document

/** A running container. Await it (or `done()`) for its `Document`. */
export class Task implements PromiseLike<AwaitedTask> {
  private finished: Promise<Document> | undefined
  private thenHidden = false

  /** @internal Made by `Cr.start()`. */
  constructor(private readonly handle: RunHandle) {}

  /** The container id. */
  get id(): string {
    return this.handle.container.id
  }

  /** The name other containers use to reach this one (see `links`). */
  get host(): string {
    return this.handle.container.name
  }

  /**
   * The container's stdout, live. Until first touched, its last megabyte is kept and replayed,
   * so subscribing right after `start()` (or even after `done()`) misses nothing short of that.
   */
  get stdout(): Readable {
    return this.handle.output.stdout
  }

  /** The container's stderr, kept apart from stdout; as `stdout`. */
  get stderr(): Readable {
    return this.handle.output.stderr
  }

  /** Sends a Unix signal to the main container; one that has already stopped is not an error. */
  async signal(signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
    if (!Object.hasOwn(constants.signals, signal)) throw new OptionsError('signal', `${String(signal)} is not a signal name`)
    await this.handle.container.kill(signal)
  }

  /** Waits for the main container to end, stores the run, removes the container. */
  done(): Promise<Document> {
    this.finished ??= this.finish()
    return this.finished
  }

  /**
   * `await task` is `task.done()`. A promise cannot resolve to a thenable (it would be awaited
   * in turn), so `start()` hides this once, at the moment its promise takes the Task: that is
   * what lets `await cr.start()` give the Task itself. See the README on returning a Task from
   * an async function.
   */
  get then(): PromiseLike<AwaitedTask>['then'] {
    if (this.thenHidden) {
      this.thenHidden = false
      return undefined as unknown as PromiseLike<AwaitedTask>['then']
    }
    const done = this.done() as Promise<AwaitedTask>
    return (onfulfilled, onrejected) => done.then(onfulfilled, onrejected)
  }

  /** @internal Lets the next promise resolution take this Task as a value (see `then`). */
  asResolvedValue(): this {
    this.thenHidden = true
    return this
  }

  private async finish(): Promise<Document> {
    const { container, store, collection, id } = this.handle
    let exitCode: number
    try {
      exitCode = await container.wait()
    } catch (err) {
      await container.remove().catch(() => undefined)
      throw err
    }
    const endedAt = new Date()
    // All output is read before the container goes.
    await this.handle.output.ended.catch(() => undefined)
    const run: RunRecord = { image: this.handle.image, containerId: container.id, exitCode, startedAt: this.handle.startedAt, endedAt }
    const [removed, saved] = await Promise.allSettled([container.remove(), store.save(collection, id, {}, run)])
    if (saved.status === 'rejected') throw saved.reason
    if (removed.status === 'rejected') {
      process.emitWarning(`levrt: could not remove container ${container.id}; \`npx levrt gc\` will: ${String(removed.reason)}`)
    }
    return new Document(store.collection(collection), id, run)
  }
}
