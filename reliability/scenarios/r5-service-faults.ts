import Dockerode from 'dockerode'
import type { Outcome, Scenario, ScenarioRun } from '../scenario'
import { Random } from '../lib/random'
import { tagBusybox, untagBusybox, type PartResult } from '../lib/envd-scratch'
import { engineRestart } from './r5/engine-restart'
import { killDuringCreates } from './r5/kill'
import { storeDown } from './r5/store-down'

/**
 * R5, the environment service under faults: envd SIGKILLed during concurrent creates (and a
 * mass delete after), the engine restarted under live environments (on a lab engine of its
 * own), the store stopped and started. Each part reports on its own; the outcome adds them up.
 */
export const r5: Scenario = {
  id: 'R5',
  title: 'the service under faults',
  async run(how: ScenarioRun): Promise<Outcome> {
    const full = how.scale === 'full'
    const random = new Random(how.seed)
    const docker = new Dockerode()
    const parts: [string, PartResult][] = []
    await tagBusybox(docker)
    try {
      const part = async (name: string, fn: () => Promise<PartResult>) => {
        how.log(`${name}...`)
        const result = await fn().catch((err: unknown): PartResult => ({
          load: name,
          faults: '',
          leaks: 0,
          losses: 0,
          problems: [`${name} failed: ${err instanceof Error ? err.message : String(err)}`],
        }))
        how.log(
          `${name}: ${result.problems.length ? result.problems.join('; ') : 'ok'} (${result.notes ?? ''})`,
        )
        parts.push([name, result])
      }
      await part('kill', () => killDuringCreates(docker, full ? 50 : 15, random, how.log))
      await part('engine', () => engineRestart(full ? 100 : 10, how.log))
      await part('store', () => storeDown(docker, full ? 20 : 5, how.log))
    } finally {
      await untagBusybox(docker)
    }
    const all = parts.map(([, r]) => r)
    return {
      load: all.map((r) => r.load).join('; '),
      faults: all
        .map((r) => r.faults)
        .filter(Boolean)
        .join(', '),
      leaks: all.reduce((n, r) => n + r.leaks, 0),
      losses: all.reduce((n, r) => n + r.losses, 0),
      problems: parts.flatMap(([name, r]) => r.problems.map((p) => `${name}: ${p}`)),
      notes: parts.map(([name, r]) => `${name}: ${r.notes ?? ''}`).join('; '),
    }
  },
}
