import { hostname } from 'node:os'
import type Dockerode from 'dockerode'
import { processExists } from '../../src/docker/labels'

/**
 * Labels for the containers and networks the benchmarks create themselves (the SDK labels its
 * own). Every benchmark removes what it creates in a `finally`; these labels are for a bench
 * process that was killed before it got there: the next one removes its leftovers.
 */
export const BENCH_HOST = 'io.levrt.bench.owner.host'
export const BENCH_PID = 'io.levrt.bench.owner.pid'

export function benchLabels(): Record<string, string> {
  return { [BENCH_HOST]: hostname(), [BENCH_PID]: String(process.pid) }
}

/** Removes containers and networks of bench processes on this host that are gone. */
export async function removeLeftovers(docker: Dockerode): Promise<void> {
  const filters = JSON.stringify({ label: [`${BENCH_HOST}=${hostname()}`] })
  const dead = (labels: Record<string, string> | undefined) => !processExists(Number(labels?.[BENCH_PID]))
  for (const c of await docker.listContainers({ all: true, filters })) {
    if (dead(c.Labels))
      await docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined)
  }
  for (const n of await docker.listNetworks({ filters })) {
    if (dead(n.Labels))
      await docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined)
  }
}

/**
 * Throws unless every image is on this machine: testcontainers (and the SDK) would try to pull a
 * missing one, and these benchmarks must never reach a registry.
 */
export async function assertImages(docker: Dockerode, refs: readonly string[], hint: string): Promise<void> {
  for (const ref of refs) {
    try {
      await docker.getImage(ref).inspect()
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err
      throw new Error(`image ${ref} is not on this machine; ${hint}`, { cause: err })
    }
  }
}
