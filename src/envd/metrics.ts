import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { DeployRequest, EnvBackend, Placement, SweepResult } from './backend/backend'

/** What the gauges read at each scrape: the environments as `list` shows them. */
export interface EnvSource {
  list(): readonly { readonly status: number; readonly node_ip: string | null }[]
}

const STATUS_NAMES = ['creating', 'created', 'error', 'deleted']

/**
 * envd's Prometheus metrics, one registry per service (no global state): environments by status
 * and node (read from the service at scrape time), create-to-CREATED latency, removals, sweeps
 * and deploy errors by reason, counted by wrapping the backend, so both backends report alike.
 */
export class EnvdMetrics {
  readonly registry = new Registry()
  private readonly latency: Histogram<'backend'>
  private readonly errors: Counter<'reason'>
  private readonly removals: Counter
  private readonly sweeps: Counter
  private readonly swept: Counter

  constructor(source: () => EnvSource | undefined) {
    const registers = [this.registry]
    new Gauge({
      name: 'levrt_envd_environments',
      help: 'Environments not DELETED, by status and node',
      labelNames: ['status', 'node'],
      registers,
      collect() {
        this.reset()
        for (const e of source()?.list() ?? []) {
          this.inc({ status: STATUS_NAMES[e.status] ?? String(e.status), node: e.node_ip ?? 'none' })
        }
      },
    })
    this.latency = new Histogram({
      name: 'levrt_envd_create_seconds',
      help: 'From the start of a deploy to CREATED (the port answers)',
      labelNames: ['backend'],
      buckets: [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64],
      registers,
    })
    this.errors = new Counter({
      name: 'levrt_envd_errors_total',
      help: 'Deploys that ended in ERROR, by reason',
      labelNames: ['reason'],
      registers,
    })
    this.removals = new Counter({
      name: 'levrt_envd_removals_total',
      help: 'Environments removed (deleted or reclaimed)',
      registers,
    })
    this.sweeps = new Counter({ name: 'levrt_envd_sweeps_total', help: 'Sweeps run', registers })
    this.swept = new Counter({
      name: 'levrt_envd_swept_total',
      help: 'Environments whose leftovers a sweep removed',
      registers,
    })
  }

  /** The backend, counted. */
  wrap(backend: EnvBackend, kind: string): EnvBackend {
    const { latency, errors, removals, sweeps, swept } = this
    const wrapped: EnvBackend = {
      start: () => backend.start(),
      async deploy(request: DeployRequest, placed: (p: Placement) => Promise<void>, signal: AbortSignal) {
        const stop = latency.startTimer({ backend: kind })
        try {
          const where = await backend.deploy(request, placed, signal)
          stop()
          return where
        } catch (err) {
          if (!signal.aborted) errors.inc({ reason: reasonOf(err) })
          throw err
        }
      },
      healthy: (id) => backend.healthy(id),
      async destroy(id: number) {
        await backend.destroy(id)
        removals.inc()
      },
      async sweep(keep: (id: number) => boolean): Promise<SweepResult> {
        const result = await backend.sweep(keep)
        sweeps.inc()
        swept.inc(result.removed.length)
        return result
      },
      ping: () => backend.ping(),
      close: () => backend.close?.() ?? Promise.resolve(),
    }
    const follow = backend.follow?.bind(backend)
    if (!follow) return wrapped
    return {
      ...wrapped,
      follow: (report) =>
        follow((id, event) => {
          if (event.kind === 'failed') errors.inc({ reason: reasonOf(new Error(event.reason)) })
          report(id, event)
        }),
    }
  }
}

/** A few stable reasons (the message itself is for the logs: it names nodes and images). */
export function reasonOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  if (/image .* is not on/i.test(text)) return 'image_missing'
  if (/not ready in time|did not accept connections/i.test(text)) return 'not_ready'
  if (/cannot be placed|no free host port/i.test(text)) return 'no_capacity'
  if (/exited|failed \d+ times|restarts/i.test(text)) return 'crashed'
  return 'other'
}
