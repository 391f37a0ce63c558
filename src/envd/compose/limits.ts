import type { Hardening } from '../options'
import type { RequestedLimits, Ulimit } from './plan'
import type { Problems } from './problems'
import type { ComposeService } from './schema'
import { nanoCpus, sizeBytes } from './units'

/** The engine will not run a container with less memory. */
const MIN_MEMORY = 6 * 1024 * 1024
/** Docker's own default open-file limit: what a file may ask for at most. */
const MAX_NOFILE = 1_048_576
const ULIMITS = ['nofile', 'nproc', 'core', 'stack', 'memlock'] as const
/** Accepted and left out: memlock needs a privilege the node may lack; nproc is the pids limit. */
const IGNORED = new Set(['memlock', 'nproc'])

/** The limits a service asks for (`mem_limit`, `cpus`, ..., `deploy.resources.limits`): the lower wins. */
export function requestedLimits(s: ComposeService, at: string, problems: Problems): RequestedLimits {
  const deploy = s.deploy?.resources?.limits
  const lowest = (values: readonly (number | undefined)[]) => {
    const given = values.filter((v): v is number => v !== undefined && Number.isFinite(v))
    return given.length ? Math.min(...given) : undefined
  }
  const memoryBytes = lowest(
    [s.mem_limit, deploy?.memory].map((v) => (v === undefined ? undefined : sizeBytes(v))),
  )
  if (memoryBytes !== undefined && memoryBytes < MIN_MEMORY)
    problems.add(`${at}.mem_limit`, 'a memory limit below 6m cannot run a container: write at least 6m')
  // nproc counts every process of the user on the whole node (root's too), not the container's:
  // it becomes the container's pids limit instead.
  const nproc = s.ulimits?.nproc
  const nprocSoft = nproc === undefined ? undefined : typeof nproc === 'number' ? nproc : nproc.soft
  const pids = lowest(
    [s.pids_limit, deploy?.pids, nprocSoft].map((p) => (p === undefined || p <= 0 ? undefined : p)),
  )
  const ulimits: Ulimit[] = []
  for (const [name, v] of Object.entries(s.ulimits ?? {})) {
    if (!(ULIMITS as readonly string[]).includes(name)) {
      problems.add(`${at}.ulimits.${name}`, `only the ${ULIMITS.join(', ')} ulimits are accepted; delete it`)
      continue
    }
    if (IGNORED.has(name)) continue
    const [soft, hard] = typeof v === 'number' ? [v, v] : [v.soft, v.hard]
    if (soft > hard && hard >= 0)
      problems.add(`${at}.ulimits.${name}`, 'soft is above hard: write soft <= hard')
    ulimits.push({ name, soft, hard })
  }
  return {
    nanoCpus: lowest([s.cpus, deploy?.cpus].map((c) => (c === undefined ? undefined : nanoCpus(c)))),
    memoryBytes,
    pids,
    shmBytes: s.shm_size === undefined ? undefined : sizeBytes(s.shm_size),
    ulimits,
  }
}

/** What a container gets: each the lower of the file's and the cap (`--cpus`, `--memory`, `--pids`). */
export interface AppliedLimits {
  readonly nanoCpus: number
  readonly memoryBytes: number
  readonly pids: number
  readonly shmBytes?: number
  readonly ulimits: readonly Ulimit[]
}

export function appliedLimits(
  requested: RequestedLimits,
  caps: Pick<Hardening, 'nanoCpus' | 'memoryBytes' | 'pids'>,
): AppliedLimits {
  const held = (v: number | undefined, cap: number) => (v === undefined ? cap : Math.min(v, cap))
  const memoryBytes = held(requested.memoryBytes, caps.memoryBytes)
  const pids = held(requested.pids, caps.pids)
  const ceiling: Readonly<Record<string, number>> = { nofile: MAX_NOFILE }
  return {
    nanoCpus: held(requested.nanoCpus, caps.nanoCpus),
    memoryBytes,
    pids,
    shmBytes: requested.shmBytes === undefined ? undefined : Math.min(requested.shmBytes, memoryBytes),
    ulimits: requested.ulimits.map((u) => {
      const cap = ceiling[u.name]
      // -1 is "unlimited": the cap, where there is one.
      const hold = (x: number) => (cap === undefined ? x : x < 0 ? cap : Math.min(x, cap))
      return { name: u.name, soft: hold(u.soft), hard: hold(u.hard) }
    }),
  }
}
