import type { Problems } from './problems'
import { NETWORK_SKIPPED, SEVERAL_NETWORKS } from './reasons'
import type { ComposeFile } from './schema'

/**
 * Networks are accepted when they change nothing: one network that every service joins (or
 * only `default`). The service's own network replaces it. Options that would change something
 * (internal, ipam, external, aliases, ...) the schema has already refused.
 */
export function checkNetworks(file: ComposeFile, problems: Problems): void {
  const declared = Object.keys(file.networks ?? {})
  const joined = new Map<string, string[]>()
  for (const [name, s] of Object.entries(file.services)) {
    const list = Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? {})
    joined.set(name, list.length ? list : ['default'])
    for (const n of list) {
      if (n !== 'default' && !declared.includes(n)) {
        problems.add(
          `services.${name}.networks`,
          `network ${JSON.stringify(n)} is not declared under the top-level networks; delete it`,
        )
      }
    }
  }
  const used = new Set([...joined.values()].flat())
  const all = new Set([...declared, ...used])
  // A declared network no service joins is harmless; what matters is what services join.
  if (used.size > 1) {
    const several = [...joined].filter(([, list]) => list.length > 1)
    if (several.length)
      for (const [name] of several) problems.add(`services.${name}.networks`, SEVERAL_NETWORKS)
    else
      for (const [name, list] of joined)
        if (list[0] === 'default' && all.size > 1) problems.add(`services.${name}`, NETWORK_SKIPPED)
    if (![...problems.all()].some((p) => p.reason === SEVERAL_NETWORKS || p.reason === NETWORK_SKIPPED)) {
      problems.add('networks', SEVERAL_NETWORKS)
    }
  }
}
