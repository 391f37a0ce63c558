import type { EnvBackend } from '../backend/backend'
import type { ComposePlan } from '../compose/plan'
import type { Logger } from '../log'
import type { EnvRepository } from './repository'
import { STATUS, type EnvRecord } from './types'

/**
 * Runs deploys behind the requests: CREATING -> CREATED once the backend says the port accepts
 * connections, or ERROR with the reason (saved for operators, logged; the flag is never part of
 * either). A deploy can be aborted (delete, shutdown): the backend then removes what it made.
 */
export class Launcher {
  private readonly running = new Map<
    number,
    { readonly abort: AbortController; readonly done: Promise<void> }
  >()

  constructor(
    private readonly backend: EnvBackend,
    private readonly repo: EnvRepository,
    private readonly log: Logger,
  ) {}

  launch(record: EnvRecord, plan: ComposePlan, flag: string | null | undefined): void {
    const abort = new AbortController()
    const { id, uid, challenge } = record
    const placed = async (p: { nodeIp: string; nodePort: number }) => {
      if (record.status !== STATUS.creating) return
      record.nodeIp = p.nodeIp
      record.nodePort = p.nodePort
      await this.save(record)
    }
    const t0 = Date.now()
    const done = this.backend
      .deploy({ id, uid, challenge, plan, flag }, placed, abort.signal)
      .then(
        async (p) => {
          if (record.status !== STATUS.creating) return
          Object.assign(record, { status: STATUS.created, nodeIp: p.nodeIp, nodePort: p.nodePort })
          await this.save(record)
          this.log.info(
            { env: id, uid, challenge, node_port: p.nodePort, ms: Date.now() - t0 },
            'environment created',
          )
        },
        async (err: unknown) => {
          if (abort.signal.aborted || record.status !== STATUS.creating) return
          record.status = STATUS.error
          record.reason = err instanceof Error ? err.message : String(err)
          await this.save(record)
          this.log.error({ env: id, uid, challenge, reason: record.reason }, 'environment failed')
        },
      )
      .catch((err: unknown) => this.log.error({ env: id, err }, 'could not save the environment'))
      .finally(() => this.running.delete(id))
    this.running.set(id, { abort, done })
  }

  /**
   * A deploy goes on while the store is down (the record here is what get answers): the state
   * is written once the store answers again (EnvRepository.retryUnsaved).
   */
  private async save(record: EnvRecord): Promise<void> {
    if (!(await this.repo.saveOrDefer(record)))
      this.log.warn(
        { env: record.id, status: record.status },
        'the store does not answer: saved once it does',
      )
  }

  /** Aborts a deploy in flight (if any) and waits until it has cleaned up. */
  async abort(id: number): Promise<void> {
    const run = this.running.get(id)
    if (!run) return
    run.abort.abort()
    await run.done
  }

  /** Aborts every deploy in flight; their records stay CREATING for the next start to resume. */
  async abortAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((id) => this.abort(id)))
  }
}
