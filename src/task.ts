import { constants } from 'node:os'
import type { Readable } from 'node:stream'
import type { Document } from './document'
import { OptionsError } from './errors'

/** What a Task shows of its run: a live run, or (with `reuse`) an earlier run standing in. */
export interface TaskSource {
  readonly containerId: string
  readonly host: string
  readonly stdout: Readable
  readonly stderr: Readable
  kill(signal: string): Promise<void>
  done(): Promise<Document>
}

/**
 * What TypeScript sees for `await cr.start()` and for `await task` alike. In JavaScript a
 * promise cannot resolve to a thenable, and TypeScript's `Awaited` follows the same rule, so both
 * expressions have one static type; this one lets both usages of the contract compile:
 * `const task = await cr.start(); await task.signal()` and `const doc = await task; await doc.get()`.
 * At run time the first is the Task and the second its Document (see the README).
 *
 * ```ts
 * const task: AwaitedTask = await cr.start()    // at run time: the Task
 * task.stdout.pipe(process.stdout)
 * const doc: AwaitedTask = await task           // at run time: its Document
 * await doc.get()
 * ```
 */
export type AwaitedTask = Omit<Task, 'then'> & Document

/**
 * A running container. Await it (or `done()`) for its `Document`.
 *
 * ```ts
 * const task = await new Cr('levkit/redis:1.0', { ports: [6379] }).start()   // running, port open
 * task.stderr.pipe(process.stderr)
 * await new Cr('levkit/redis:1.0', { cmd: ['redis-cli', '-h', 'cache', 'ping'], links: { cache: task.host } })
 * await task.signal('SIGTERM')
 * const doc = await task.done()                                             // or `await task`
 * ```
 */
export class Task implements PromiseLike<AwaitedTask> {
  private thenHidden = false

  /** @internal Made by `Cr.start()`. */
  constructor(private readonly run: TaskSource) {}

  /** The container id. */
  get id(): string {
    return this.run.containerId
  }

  /** The name other containers use to reach this one (see `links`). */
  get host(): string {
    return this.run.host
  }

  /**
   * The container's stdout, live. Until first touched, its last megabyte is kept and replayed,
   * so subscribing right after `start()` (or even after `done()`) misses nothing short of that.
   */
  get stdout(): Readable {
    return this.run.stdout
  }

  /** The container's stderr, kept apart from stdout; as `stdout`. */
  get stderr(): Readable {
    return this.run.stderr
  }

  /** Sends a Unix signal to the main container; one that has already stopped is not an error. */
  async signal(signal: string = 'SIGINT'): Promise<void> {
    if (!Object.hasOwn(constants.signals, signal))
      throw new OptionsError('signal', `${String(signal)} is not a signal name`)
    await this.run.kill(signal as NodeJS.Signals)
  }

  /** Waits for the main container to end, stores its results, removes what the run created. */
  done(): Promise<Document> {
    return this.run.done()
  }

  /** `task.catch(fn)` is `task.done().catch(fn)`, as for a promise. */
  catch<B = never>(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    onrejected?: ((reason: any) => B | PromiseLike<B>) | null,
  ): Promise<Document | B> {
    return this.done().catch(onrejected)
  }

  /** `task.finally(fn)` is `task.done().finally(fn)`. */
  finally(onfinally?: (() => void) | null): Promise<Document> {
    return this.done().finally(onfinally)
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
    // done() is called only when awaited: merely looking at `then` must not start anything.
    return (onfulfilled, onrejected) => (this.done() as Promise<AwaitedTask>).then(onfulfilled, onrejected)
  }

  /** @internal Lets the next promise resolution take this Task as a value (see `then`). */
  asResolvedValue(): this {
    this.thenHidden = true
    return this
  }
}
