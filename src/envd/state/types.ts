/** The seed's status constants. */
export const STATUS = {
  /** The program failed (an answer, never a stored state). */
  failed: -1,
  creating: 0,
  created: 1,
  error: 2,
  deleted: 3,
} as const
export type StoredStatus = 0 | 1 | 2 | 3

/** One environment, as the service keeps it (and the store holds it). */
export interface EnvRecord {
  readonly id: number
  readonly uid: number
  readonly challenge: number
  /** As the request named it, relative to `<data>/compose/`. */
  readonly composeFile: string
  status: StoredStatus
  expire: Date
  readonly created: Date
  nodeIp: string | null
  nodePort: number | null
  /** Why it is an ERROR: for operators (never shown to players, never holds the flag). */
  reason?: string
  deleted?: Date
}

/** What `get` and `list` answer (the seed's shape, keys in its order). */
export interface EnvView {
  readonly expire: string
  readonly id: number
  readonly node_ip: string | null
  readonly node_port: number | null
  readonly status: StoredStatus
}

/** Holds resources (a port, containers) and counts against the caps. */
export function isLive(r: EnvRecord): boolean {
  return r.status === STATUS.creating || r.status === STATUS.created
}
