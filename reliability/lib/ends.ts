import { Document } from '../../src/document'
import { LevError } from '../../src/errors'

/** How the runs of a scenario ended: documents, typed levrt errors by code, anything else. */
export class Ends {
  documents = 0
  readonly typed = new Map<string, number>()
  /** The first message of each typed code, for the log. */
  readonly samples = new Map<string, string>()
  readonly untyped: string[] = []
  /** The stacks of the untyped ones (first lines), to find where they escaped. */
  readonly untypedStacks: string[] = []
  hung = 0

  /** Settles `run` within `ms` (its own timeout plus the teardown's grace): past it, a hang. */
  async settle<T>(run: PromiseLike<T>, ms: number): Promise<T | LevError | undefined> {
    let timer: NodeJS.Timeout | undefined
    const hang = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), ms)))
    try {
      const result = await Promise.race([Promise.resolve(run), hang])
      if (result === 'hang') {
        this.hung++
        return undefined
      }
      if (result instanceof Document) this.documents++
      return result
    } catch (err) {
      if (err instanceof LevError) {
        this.typed.set(err.code, (this.typed.get(err.code) ?? 0) + 1)
        if (!this.samples.has(err.code)) this.samples.set(err.code, err.message.split('\n')[0])
        return err
      }
      this.untyped.push(err instanceof Error ? `${err.name}: ${err.message.split('\n')[0]}` : String(err))
      if (err instanceof Error && err.stack)
        this.untypedStacks.push(err.stack.split('\n').slice(0, 10).join(' | '))
      return undefined
    } finally {
      clearTimeout(timer)
    }
  }

  get failed(): number {
    return [...this.typed.values()].reduce((a, b) => a + b, 0)
  }

  /** `12 LEV_ENGINE_LOST, 3 LEV_STORE_UNAVAILABLE`. */
  codes(): string {
    return [...this.typed].map(([code, n]) => `${n} ${code}`).join(', ') || 'none'
  }
}
