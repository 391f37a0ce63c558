import { Command } from 'commander'
import type { LabelledObject } from '../engine/engine'
import { LABEL } from '../docker/labels'
import type { GcOptions } from '../engine/gc'
import { configure } from './help'
import { EXIT, type ExitCode } from './usage'

/** `levrt gc [--dry-run] [--all]` */
export function gcCommand(finish: (code: ExitCode) => void): Command {
  return configure(new Command('gc'))
    .usage('[--all] [--dry-run]')
    .summary("remove what dead processes' runs left on the engine")
    .description(
      'Removes the containers, networks and volumes that runs of dead processes on this host left behind ' +
        '(found by their io.levrt.* labels). Exits 1 if any could not be removed.',
    )
    .option('--all', 'remove every object levrt labelled, whoever made it, live or not')
    .option('--dry-run', 'only list what would be removed')
    .action(async (flags: { all?: boolean; dryRun?: boolean }) =>
      finish(await gc({ all: flags.all ?? false, dryRun: flags.dryRun ?? false })),
    )
}

async function gc(options: GcOptions): Promise<ExitCode> {
  // Loaded here, not at the top: `levrt --help` need not load the engine and store layers.
  const { gc } = await import('../engine/gc')
  const { defaultContext } = await import('../context')
  try {
    const { removed, failed } = await gc(defaultContext().engine, options)
    const verb = options.dryRun ? 'would remove' : 'removed'
    for (const o of removed) process.stdout.write(`${describeObject(verb, o)}\n`)
    for (const { object, error } of failed) {
      process.stderr.write(
        `${describeObject('could not remove', object)}: ${error instanceof Error ? error.message : String(error)}\n`,
      )
    }
    process.stdout.write(`${summarize(removed, options)}\n`)
    return failed.length ? EXIT.failed : EXIT.done
  } catch (err) {
    process.stderr.write(`levrt gc: ${err instanceof Error ? err.message : String(err)}\n`)
    return EXIT.failed
  }
}

/** One line per object: what happened, its kind, short id, run and role. */
export function describeObject(verb: string, o: LabelledObject): string {
  // Container and network ids are 64 hex digits; docker shows the first 12. A volume's id is its name.
  const id = o.kind === 'volume' ? o.id : o.id.slice(0, 12)
  return `${verb} ${o.kind.padEnd(9)} ${id}  run ${o.labels[LABEL.run] ?? '?'}  ${o.labels[LABEL.role] ?? '?'}`
}

/** The closing line: how many objects of how many runs, by kind. */
export function summarize(objects: readonly LabelledObject[], options: GcOptions): string {
  const whose = options.all ? 'labelled objects' : 'leftovers of dead runs'
  if (objects.length === 0) return `no ${whose} to remove`
  const kinds = (['container', 'network', 'volume'] as const)
    .map((k) => [k, objects.filter((o) => o.kind === k).length] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`)
    .join(', ')
  const runs = new Set(objects.map((o) => o.labels[LABEL.run])).size
  const what = `${objects.length} ${whose} (${kinds}; ${runs} run${runs === 1 ? '' : 's'})`
  return options.dryRun ? `would remove ${what}; nothing removed (--dry-run)` : `removed ${what}`
}
