import type Dockerode from 'dockerode'
import { statusOf } from '../../docker/status'

/** What both backends do alike: small enough to share, not worth a base class. */

/** Removal of something already gone (404) or already being removed (409) is done. */
export function ignoreGone(err: unknown): void {
  const status = statusOf(err)
  if (status !== 404 && status !== 409) throw err
}

/** Whether the engine (or the swarm's manager) answers. */
export function pingEngine(docker: Dockerode): Promise<boolean> {
  return docker.ping().then(
    () => true,
    () => false,
  )
}
