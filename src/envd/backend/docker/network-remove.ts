import type Dockerode from 'dockerode'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, statusOf } from '../../../docker/status'

/** How long a network's last endpoints may take to go once their containers are removed. */
export const DRAIN_MS = 15_000
const POLL_MS = 100

/** The network still had endpoints when it was to be removed (after waiting `DRAIN_MS`). */
export class NetworkBusyError extends Error {
  override readonly name = 'NetworkBusyError'
}

/**
 * Removes a network once its last endpoint is gone. The engine releases a removed container's
 * endpoint a moment after the removal returns (more so under load), and refuses to remove a
 * network with an endpoint left (403 `has active endpoints`): so every endpoint it still lists is
 * disconnected (a container that is not ours, an operator's debug shell, must not keep it alive
 * either) and the removal is retried until the endpoints are gone or `drainMs` has passed.
 * A network already gone is removed.
 */
export async function removeNetwork(docker: Dockerode, name: string, drainMs = DRAIN_MS): Promise<void> {
  const network = docker.getNetwork(name)
  const deadline = Date.now() + drainMs
  for (;;) {
    try {
      const info = (await network.inspect()) as { Containers?: Record<string, unknown> }
      await Promise.all(
        Object.keys(info.Containers ?? {}).map((c) =>
          network.disconnect({ Container: c, Force: true }).catch(() => undefined),
        ),
      )
      await network.remove()
      return
    } catch (err) {
      if (statusOf(err) === 404) return
      if (!hasEndpoints(err)) throw err
      if (Date.now() >= deadline)
        throw new NetworkBusyError(
          `network ${name} still has endpoints ${Math.round(drainMs / 1000)} s after its containers were removed: ${describe(err)}`,
          { cause: err },
        )
      await sleep(POLL_MS)
    }
  }
}

function hasEndpoints(err: unknown): boolean {
  return statusOf(err) === 403 && /active endpoints/i.test(describe(err))
}
