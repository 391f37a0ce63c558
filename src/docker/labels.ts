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
  if (labels[LABEL.ownerHost] !== hostname()) return false
  const pid = Number(labels[LABEL.ownerPid])
  if (!Number.isInteger(pid) || pid <= 0) return false
  if (!processExists(pid)) return true
  const recorded = labels[LABEL.ownerStart]
  const current = processStart(pid)
  return Boolean(recorded && current && recorded !== current)
}
