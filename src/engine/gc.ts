import type { Engine, LabelledObject } from './engine'
import { LABEL, LABEL_SCHEMA, ownerIsDead, reapedIsDead } from '../docker/labels'

export interface GcOptions {
  /** Remove every labelled object, whoever made it and whether or not it is still alive. */
  readonly all?: boolean
  /** Only list what would be removed. */
  readonly dryRun?: boolean
}

/** What a gc did. */
export interface GcResult {
  /** Removed (or, with `dryRun`, to be removed). */
  readonly removed: LabelledObject[]
  /** What could not be removed, and why: one failure does not stop the rest. */
  readonly failed: { readonly object: LabelledObject; readonly error: unknown }[]
}

/**
 * Removes what runs of dead processes left behind: objects labelled by levrt whose owner was a
 * process on this host that no longer exists (pid and start time are both checked, so a reused
 * pid does not keep leftovers alive). Objects made on other hosts are left alone, unless `all`.
 * Containers go first, so that their networks and volumes are free to go after them.
 */
export async function gc(engine: Engine, options: GcOptions = {}): Promise<GcResult> {
  const found = await engine.list({ [LABEL.managed]: LABEL_SCHEMA })
  // A session reaper is judged by the process it watches: one that outlived it is stuck.
  const dead = found.filter((o) => options.all || ownerIsDead(o.labels) || reapedIsDead(o.labels))
  const result: GcResult = { removed: [], failed: [] }
  if (options.dryRun) return { removed: dead, failed: [] }
  for (const kind of ['container', 'network', 'volume'] as const) {
    const batch = dead.filter((o) => o.kind === kind)
    const settled = await Promise.allSettled(batch.map((o) => engine.removeObject(o)))
    settled.forEach((s, i) => {
      if (s.status === 'fulfilled') result.removed.push(batch[i])
      else result.failed.push({ object: batch[i], error: s.reason })
    })
  }
  return result
}

/** Which engines a context has swept already: one sweep per engine, before its first run. */
export type Sweeps = WeakMap<Engine, Promise<void>>

/** The first run on each engine sweeps dead runs' leftovers once (set LEV_GC=off to skip). */
export function sweepOnce(engine: Engine, sweeps: Sweeps): Promise<void> {
  if (process.env.LEV_GC === 'off') return Promise.resolve()
  let swept = sweeps.get(engine)
  if (!swept) {
    swept = gc(engine).then(
      ({ removed, failed }) => {
        if (removed.length)
          process.stderr.write(`levrt: removed ${removed.length} leftovers of dead runs (levrt gc)\n`)
        if (failed.length)
          process.emitWarning(
            `levrt: ${failed.length} leftovers of dead runs could not be removed: ${String(failed[0].error)}`,
          )
      },
      (err: unknown) => process.emitWarning(`levrt: could not sweep leftovers of dead runs: ${String(err)}`),
    )
    sweeps.set(engine, swept)
  }
  return swept
}
