import { Command } from 'commander'
import { resolve, join } from 'node:path'
import { describeFailure } from './failure'
import { configure } from './help'
import { EXIT, type ExitCode } from './usage'

/** `levrt envd nodes [--data DIR] [--instance NAME]`: the swarm's nodes, as envd sees them. */
export function envdNodesCommand(finish: (code: ExitCode) => void): Command {
  return (
    configure(new Command('nodes'))
      .usage('[--data <dir>] [--instance <name>]')
      .summary("the swarm's nodes: address, state, environments running, images missing")
      .description(
        'Lists the nodes of the swarm whose manager DOCKER_HOST names: the address players reach ' +
          '(its io.levrt.node-ip label, else its swarm address), state, availability, environments of ' +
          'the instance running there, and the images that compose files under <data>/compose/ need and ' +
          'the node lacks (each image is tried once on every node by a short global job).',
      )
      // --data and --instance are envd's own options (the parent command parses them).
      .action(async (_flags: object, command: Command) =>
        finish(await nodes(command.optsWithGlobals<{ data: string; instance: string }>())),
      )
  )
}

async function nodes(flags: { data: string; instance: string }): Promise<ExitCode> {
  // Loaded here: `levrt --help` need not load the engine layer.
  const { connectDocker } = await import('../docker/connection')
  const { isSwarmManager } = await import('../envd/backend/swarm/nodes')
  const { nodeInventory } = await import('../envd/backend/swarm/inventory')
  try {
    const docker = connectDocker()
    if (!(await isSwarmManager(docker))) {
      process.stderr.write('levrt envd nodes: DOCKER_HOST does not name a manager of an active swarm\n')
      return EXIT.failed
    }
    const rows = await nodeInventory(docker, flags.instance, join(resolve(flags.data), 'compose'))
    const table = [
      ['NAME', 'ADDRESS', 'STATE', 'AVAILABILITY', 'ENVS', 'MISSING IMAGES'],
      ...rows.map((n) => [
        n.name,
        n.address,
        n.state,
        n.availability,
        String(n.environments),
        n.missing.join(',') || '-',
      ]),
    ]
    const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)))
    for (const r of table)
      process.stdout.write(
        `${r
          .map((c, i) => c.padEnd(widths[i]))
          .join('  ')
          .trimEnd()}\n`,
      )
    return EXIT.done
  } catch (err) {
    process.stderr.write(`levrt envd nodes: ${describeFailure(err)}\n`)
    return EXIT.failed
  }
}
