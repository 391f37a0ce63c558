import type { EnvBackend } from '../backend/backend'
import { planComposeFile } from '../compose/check'
import type { ComposePlan } from '../compose/plan'
import type { ComposePolicy } from '../compose/policy'
import { ConflictError, NotFoundError, OverCapError, RefusedError } from '../errors'
import { Mutex } from '../lock'
import { formatIso } from '../time'
import type { Logger } from '../log'
import { followPlacements } from './follow'
import { Launcher } from './launcher'
import type { EnvRepository } from './repository'
import { isLive, STATUS, type EnvRecord, type EnvView } from './types'

/** The seed's default lifetime: now + 1 hour. */
export const DEFAULT_LIFETIME_MS = 3600_000

export interface Limits {
  readonly composeRoot: string
  readonly maxPerUid: number
  readonly maxTotal: number
  readonly maxLifetimeMs: number
}

export interface CreateInput {
  readonly uid: number
  readonly challenge: number
  readonly composeFile: string
  readonly flag: string | null
  readonly expire?: Date
}

/**
 * The environments and their state machine: CREATING -> CREATED | ERROR -> DELETED. Create
 * checks everything a request can get wrong first (so a refused request changes nothing), then
 * admits it under one lock (caps per uid and in total cannot be overrun by concurrent creates),
 * stores it and answers, while the deploy goes on behind. The store is written through on
 * every change; the records held here are what get and list answer from.
 */
export class Environments {
  private readonly records = new Map<number, EnvRecord>()
  private readonly teardowns = new Map<number, Promise<void>>()
  private readonly admission = new Mutex()
  private readonly launcher: Launcher
  private lastId = 0
  private closing = false
  private stopFollowing = () => undefined as void

  constructor(
    private readonly repo: EnvRepository,
    private readonly backend: EnvBackend,
    private readonly policy: ComposePolicy,
    private readonly limits: Limits,
    private readonly log: Logger,
  ) {
    this.launcher = new Launcher(backend, repo, log)
  }

  /** Loads the stored environments and resumes the deploys a stop interrupted. */
  async start(): Promise<void> {
    await this.backend.start()
    const restored = await this.repo.restoreKept()
    if (restored) this.log.info({ count: restored }, 'wrote the states the store missed before the last stop')
    const records = await this.repo.loadUndeleted()
    for (const r of records) this.records.set(r.id, r)
    this.lastId = Math.max(await this.repo.lastId(), ...records.map((r) => r.id))
    const now = Date.now()
    for (const r of records.filter((r) => r.status === STATUS.creating && r.expire.getTime() > now)) {
      await this.backend.destroy(r.id) // what the interrupted deploy left
      const plan = await this.plan(r.composeFile).catch((err: Error) => err)
      if (plan instanceof Error) await this.fail(r, `not resumed after a restart: ${plan.message}`)
      else this.launcher.launch(r, plan, undefined)
    }
    this.stopFollowing = followPlacements(this.backend, (id) => this.records.get(id), this.repo, this.log)
  }

  async create(input: CreateInput): Promise<{ id: number }> {
    const now = Date.now()
    const expire = this.clampExpire(input.expire ?? new Date(now + DEFAULT_LIFETIME_MS), now)
    const plan = await this.plan(input.composeFile, input.flag)
    const record = await this.admission.run(async () => {
      if (this.closing) throw new RefusedError('the service is shutting down')
      const live = [...this.records.values()].filter(isLive)
      if (live.length >= this.limits.maxTotal)
        throw new OverCapError(
          `${live.length} environments are live, the most this service runs (--max-total)`,
        )
      const ofUid = live.filter((r) => r.uid === input.uid).length
      if (ofUid >= this.limits.maxPerUid)
        throw new OverCapError(
          `uid ${input.uid} has ${ofUid} live environments, the most allowed (--max-per-uid)`,
        )
      const id = this.lastId + 1
      await this.repo.saveLastId(id)
      this.lastId = id
      const r: EnvRecord = {
        id,
        uid: input.uid,
        challenge: input.challenge,
        composeFile: input.composeFile,
        status: STATUS.creating,
        expire,
        created: new Date(now),
        nodeIp: null,
        nodePort: null,
      }
      await this.repo.save(r)
      this.records.set(id, r)
      return r
    })
    this.launcher.launch(record, plan, input.flag)
    return { id: record.id }
  }

  async get(id: number): Promise<EnvView> {
    return view(await this.find(id))
  }

  list(): EnvView[] {
    return [...this.records.values()].filter((r) => r.status !== STATUS.deleted).map(view)
  }

  /** Extends a CREATED environment whose containers all run; anything else is refused (-1). */
  async renew(id: number, expire: Date | undefined): Promise<{ expire: string; status: 1 }> {
    const r = await this.find(id)
    if (r.status !== STATUS.created)
      throw new ConflictError(
        `environment ${id} is ${statusName(r.status)}, not CREATED: only a healthy environment is renewed`,
      )
    if (!(await this.backend.healthy(id)))
      throw new ConflictError(`environment ${id} is not healthy: not all its containers are running`)
    const now = Date.now()
    const ceiling = r.created.getTime() + this.limits.maxLifetimeMs
    if (ceiling <= now)
      throw new ConflictError(
        `environment ${id} has reached its lifetime ceiling (${formatIso(new Date(ceiling))}, --max-lifetime)`,
      )
    const before = r.expire
    r.expire = this.clampExpire(expire ?? new Date(now + DEFAULT_LIFETIME_MS), r.created.getTime())
    try {
      await this.repo.save(r)
    } catch (err) {
      // A renew the store did not take is refused (503): the environment keeps its old expiry.
      r.expire = before
      throw err
    }
    return { expire: formatIso(r.expire), status: STATUS.created }
  }

  /** Marks it DELETED and removes what it runs; deleting it again answers the same. */
  async delete(id: number): Promise<{ status: 3 }> {
    const r = await this.find(id)
    if (r.status !== STATUS.deleted) {
      r.status = STATUS.deleted
      r.deleted = new Date()
      // Done here whatever the store says: while it is down the record is written once it answers.
      const saved = this.repo.saveOrDefer(r)
      this.teardowns.set(
        id,
        this.teardown(id).finally(() => this.teardowns.delete(id)),
      )
      await saved
    }
    await this.teardowns.get(id)
    return { status: STATUS.deleted }
  }

  /** Reclaims every environment past its expiry, then sweeps what the store no longer knows. */
  async reap(now = Date.now()): Promise<number[]> {
    // Saves the store missed while it was down: the next write would redo them too, a reap does it
    // when nothing is being created.
    await this.repo
      .retryUnsaved()
      .catch((err: unknown) => this.log.warn({ err }, 'the store does not answer yet'))
    const expired = [...this.records.values()].filter(
      (r) => r.status !== STATUS.deleted && r.expire.getTime() <= now,
    )
    await Promise.all(
      expired.map((r) =>
        this.delete(r.id).catch((err: unknown) => this.log.error({ env: r.id, err }, 'could not reclaim')),
      ),
    )
    if (expired.length) this.log.info({ envs: expired.map((r) => r.id) }, 'reclaimed expired environments')
    const { removed } = await this.backend.sweep((id) => {
      const r = this.records.get(id)
      return r !== undefined && (isLive(r) || this.teardowns.has(id))
    })
    if (removed.length)
      this.log.warn({ envs: removed }, 'swept objects of environments the store does not know as live')
    return expired.map((r) => r.id)
  }

  counts(): Record<'creating' | 'created' | 'error', number> {
    const all = [...this.records.values()]
    const n = (s: number) => all.filter((r) => r.status === s).length
    return { creating: n(STATUS.creating), created: n(STATUS.created), error: n(STATUS.error) }
  }

  /** Stops taking creates and aborts deploys in flight (they resume at the next start); environments stay. */
  async close(): Promise<void> {
    await this.admission.run(() => void (this.closing = true))
    this.stopFollowing()
    await this.launcher.abortAll()
    await Promise.all([...this.teardowns.values()])
    await this.backend.close?.()
    await this.repo.flush()
  }

  private async teardown(id: number): Promise<void> {
    await this.launcher.abort(id)
    await this.backend
      .destroy(id)
      .catch((err: unknown) => this.log.error({ env: id, err }, 'could not remove; the next sweep will'))
  }

  private async find(id: number): Promise<EnvRecord> {
    const r = this.records.get(id) ?? (await this.repo.find(id))
    if (!r) throw new NotFoundError(`there is no environment ${id}`)
    return r
  }

  private plan(composeFile: string, flag?: string | null): Promise<ComposePlan> {
    return planComposeFile(this.policy, this.limits.composeRoot, composeFile, flag)
  }

  private async fail(r: EnvRecord, reason: string): Promise<void> {
    Object.assign(r, { status: STATUS.error, reason })
    await this.repo.save(r)
    this.log.error({ env: r.id, reason }, 'environment failed')
  }

  /**
   * A requested expiry, no later than the lifetime ceiling counted from `created`. One already
   * past is taken as written (the seed's own examples send 2020 dates): the environment is
   * expired, and the next reap reclaims it.
   */
  private clampExpire(expire: Date, created: number): Date {
    return new Date(Math.min(expire.getTime(), created + this.limits.maxLifetimeMs))
  }
}

function view(r: EnvRecord): EnvView {
  return { expire: formatIso(r.expire), id: r.id, node_ip: r.nodeIp, node_port: r.nodePort, status: r.status }
}

function statusName(status: number): string {
  return ['CREATING', 'CREATED', 'ERROR', 'DELETED'][status] ?? String(status)
}
