import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'

/**
 * Every object the SDK creates carries these labels, so that a crashed run's leftovers can be
 * found (`levrt gc`) without any state outside the engine.
 */
export const LABEL = {
  /** Present on everything levrt created; the value is the SDK's label schema version. */
  managed: 'io.levrt.managed',
  /** The run this object belongs to. */
  run: 'io.levrt.run',
  /** `main` for the run's own container; `service:<key>` for sidecars; `network` etc. */
  role: 'io.levrt.role',
  /** Host name and pid of the process that created it: a gc on that host can tell if it died. */
  ownerHost: 'io.levrt.owner.host',
  ownerPid: 'io.levrt.owner.pid',
  /** The owner's start time as the kernel counts it: with the pid, names one process even after pid reuse. */
  ownerStart: 'io.levrt.owner.start',
  /** On the shared runtime volume (and the container filling it): the content key of what is in it. */
  runtimeKey: 'io.levrt.runtime.key',
  /**
   * On a session reaper (role `reaper`): the process whose objects it removes once that process
   * is gone. Not the owner labels: the reaper is not one of that process's runs' objects (leak
   * checks counting a process's objects by owner pid do not see it).
   */
  reapsHost: 'io.levrt.reaps.host',
  reapsPid: 'io.levrt.reaps.pid',
  reapsStart: 'io.levrt.reaps.start',
} as const

export const LABEL_SCHEMA = '1'

/** This process's start time (see processStart); read once, at load. */
const OWN_START = processStart(process.pid) ?? ''

export function ownerLabels(runId: string, role: string): Record<string, string> {
  return {
    [LABEL.managed]: LABEL_SCHEMA,
    [LABEL.run]: runId,
    [LABEL.role]: role,
    [LABEL.ownerHost]: hostname(),
    [LABEL.ownerPid]: String(process.pid),
    [LABEL.ownerStart]: OWN_START,
  }
}

/** The labels of this process's session reaper (see src/reaper). */
export function reaperLabels(): Record<string, string> {
  return {
    [LABEL.managed]: LABEL_SCHEMA,
    [LABEL.run]: 'reaper',
    [LABEL.role]: 'reaper',
    [LABEL.reapsHost]: hostname(),
    [LABEL.reapsPid]: String(process.pid),
    [LABEL.reapsStart]: OWN_START,
  }
}

/** The label filters that select what this process's runs created (its owner labels). */
export function ownerFilter(): string[] {
  const own = ownerLabels('', '')
  return [LABEL.ownerHost, LABEL.ownerPid, LABEL.ownerStart].map((k) => `${k}=${own[k]}`)
}

/**
 * A process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or undefined
 * where there is no /proc (then only the pid is compared).
 */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

/** Whether a process with this pid exists (one we may not signal still exists). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Whether the process that made a labelled object is gone: made on this host, and its pid is
 * free or names another process now (the recorded start time differs: pid reuse).
 */
export function ownerIsDead(labels: Readonly<Record<string, string>>): boolean {
  return isDead(labels[LABEL.ownerHost], labels[LABEL.ownerPid], labels[LABEL.ownerStart])
}

/** Whether a session reaper outlived the process it watches (it should have removed itself). */
export function reapedIsDead(labels: Readonly<Record<string, string>>): boolean {
  return isDead(labels[LABEL.reapsHost], labels[LABEL.reapsPid], labels[LABEL.reapsStart])
}

function isDead(
  host: string | undefined,
  pidLabel: string | undefined,
  recorded: string | undefined,
): boolean {
  if (host !== hostname()) return false
  const pid = Number(pidLabel)
  if (!Number.isInteger(pid) || pid <= 0) return false
  if (!processExists(pid)) return true
  const current = processStart(pid)
  return Boolean(recorded && current && recorded !== current)
}
