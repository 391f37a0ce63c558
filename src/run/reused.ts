import { Readable } from 'node:stream'
import type { Document } from '../document'
import type { TaskSource } from '../task'

/**
 * An earlier successful run standing in for this one (`reuse`): no container, so no output, and
 * nothing to signal. Its Document is the earlier run's, with `reused` set.
 */
export class ReusedRun implements TaskSource {
  constructor(private readonly doc: Document) {}

  get containerId(): string {
    return this.doc.run.containerId
  }

  /** No container runs: there is nothing to link to. */
  get host(): string {
    return ''
  }

  get stdout(): Readable {
    return Readable.from([])
  }

  get stderr(): Readable {
    return Readable.from([])
  }

  async kill(): Promise<void> {}

  async done(): Promise<Document> {
    return this.doc
  }
}
