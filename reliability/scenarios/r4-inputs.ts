import Dockerode from 'dockerode'
import type { Outcome, Scenario, ScenarioRun } from '../scenario'
import { tagBusybox, untagBusybox } from '../lib/envd-scratch'
import type { PropertyResult } from '../lib/property'
import { Random } from '../lib/random'
import { cliProperty } from './r4/cli'
import { composeProperty } from './r4/compose'
import { requestProperty } from './r4/requests'
import { crProperty, metaProperty } from './r4/sdk-inputs'

/**
 * R4, inputs of every shape (fast-check, seeded from the scenario's seed): Cr options and
 * annot.meta give a value or an OptionsError; `levrt` command lines exit 0, 1 or 2; random
 * requests to a running envd get a 4xx JSON error and change nothing; mutated compose files are
 * accepted or refused with 422. A failure names the shrunk case and the seed that replays it.
 */
export const r4: Scenario = {
  id: 'R4',
  title: 'inputs, property-based',
  async run(how: ScenarioRun): Promise<Outcome> {
    const n = (short: number, full: number) => (how.scale === 'full' ? full : short)
    const docker = new Dockerode()
    const results: PropertyResult[] = []
    let leaks = 0
    const done = (r: PropertyResult) => {
      how.log(`${r.name}: ${r.cases} cases, ${r.failures.length ? r.failures.join('; ') : 'all held'}`)
      results.push(r)
    }
    done(await crProperty(how.seed, n(500, 5000)))
    done(await metaProperty(how.seed + 1, n(500, 5000)))
    done(await cliProperty(how.seed + 2, n(300, 2000)))
    done(await composeProperty(how.seed + 3, n(300, 3000)))
    await tagBusybox(docker)
    try {
      const requests = await requestProperty(
        docker,
        how.seed + 4,
        n(300, 3000),
        n(6, 30),
        new Random(how.seed),
      )
      leaks += requests.leaks
      done(requests)
    } finally {
      await untagBusybox(docker)
    }
    const cases = results.reduce((sum, r) => sum + r.cases, 0)
    return {
      load: `${cases} cases: ${results.map((r) => `${r.name} ${r.cases}`).join(', ')}`,
      faults: 'random inputs; slow and cut requests',
      leaks,
      losses: 0,
      problems: results.flatMap((r) => r.failures),
      notes: `fast-check seeds ${how.seed}..${how.seed + 4}`,
    }
  },
}
