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
} as const

export const LABEL_SCHEMA = '1'

export function ownerLabels(runId: string, role: string): Record<string, string> {
  return {
    [LABEL.managed]: LABEL_SCHEMA,
    [LABEL.run]: runId,
    [LABEL.role]: role,
    [LABEL.ownerHost]: hostname(),
    [LABEL.ownerPid]: String(process.pid),
  }
}
