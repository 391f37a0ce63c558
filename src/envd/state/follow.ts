import type { EnvBackend, FollowEvent } from '../backend/backend'
import type { Logger } from '../log'
import type { EnvRepository } from './repository'
import { STATUS, type EnvRecord } from './types'

/**
 * Keeps deployed environments' records where the backend says they run (a swarm re-placing a
 * task after a node was drained or lost): `node_ip` follows the task (null while it has none),
 * and the status is CREATING until the port answers at the new place, then CREATED again. One
 * that can run nowhere becomes ERROR with the backend's reason, and what it had is removed.
 * Only environments that are CREATED, or were made CREATING here, are touched.
 */
export function followPlacements(
  backend: EnvBackend,
  find: (id: number) => EnvRecord | undefined,
  repo: EnvRepository,
  log: Logger,
): () => void {
  if (!backend.follow) return () => undefined
  const moving = new Set<number>()
  const save = (r: EnvRecord) =>
    repo.save(r).catch((err: unknown) => log.error({ env: r.id, err }, 'could not save the environment'))
  return backend.follow((id: number, event: FollowEvent) => {
    const r = find(id)
    if (!r || !(r.status === STATUS.created || (r.status === STATUS.creating && moving.has(id)))) return
    if (event.kind === 'failed') {
      moving.delete(id)
      Object.assign(r, { status: STATUS.error, reason: event.reason, nodeIp: null, nodePort: null })
      log.error({ env: id, reason: event.reason }, 'environment failed')
      void save(r)
      backend
        .destroy(id)
        .catch((err: unknown) => log.error({ env: id, err }, 'could not remove; the next sweep will'))
      return
    }
    const { where, ready } = event
    const status = where && ready ? STATUS.created : STATUS.creating
    const nodeIp = where?.nodeIp ?? null
    if (r.nodeIp === nodeIp && r.nodePort === (where?.nodePort ?? null) && r.status === status) return
    if (status === STATUS.creating) moving.add(id)
    else moving.delete(id)
    Object.assign(r, { status, nodeIp, nodePort: where?.nodePort ?? null })
    log.warn({ env: id, node_ip: nodeIp, ready }, 'environment moved')
    void save(r)
  })
}
