import type { Engine } from '../engine/engine'
import { OptionsError } from '../errors'
import type { RunSpec } from '../run-spec'

/**
 * `/etc/hosts` lines for a run on the host network, where there is no DNS of ours: its services
 * are on 127.0.0.1, and its links at the linked container's address.
 */
export async function hostModeNames(engine: Engine, spec: RunSpec): Promise<string[]> {
  const names = spec.services.map(([name]) => `${name}:127.0.0.1`)
  for (const [alias, host] of spec.links) {
    const ip = await engine.containerAddress(host)
    if (!ip)
      throw new OptionsError(
        `links.${alias}`,
        `${host} has no address to reach from the host network (is it running?)`,
      )
    names.push(`${alias}:${ip}`)
  }
  return names
}
