#!/usr/bin/env node
/**
 * The `levrt` command. Only `gc` for now: it removes what runs of killed or crashed processes
 * left on the engine (see the README, "Cleanup and `levrt gc`").
 */
import { parseArgs } from 'node:util'
import { describeObject, summarize } from './gc-command'

const USAGE = `usage: levrt <command>

commands:
  gc [--all] [--dry-run]   remove containers, networks and volumes that runs of dead processes
                           on this host left behind (found by their io.levrt.* labels)
      --all                remove every object levrt labelled, whoever made it, live or not
      --dry-run            only list what would be removed
  help                     this text
`

/** Runs the command line `argv` (without node and the script); resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE)
    return 0
  }
  if (command !== 'gc') return usageError(`unknown command: ${command}`)
  let values: { all?: boolean; 'dry-run'?: boolean; help?: boolean }
  try {
    ;({ values } = parseArgs({
      args: [...rest],
      options: { all: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }))
  } catch (err) {
    return usageError((err as Error).message)
  }
  if (values.help) {
    process.stdout.write(USAGE)
    return 0
  }
  const options = { all: values.all ?? false, dryRun: values['dry-run'] ?? false }
  // Loaded here, not at the top: `levrt help` need not load the engine and store layers.
  const { gc } = await import('../run/gc')
  const { defaultContext } = await import('../context')
  try {
    const { removed, failed } = await gc(defaultContext().engine, options)
    const verb = options.dryRun ? 'would remove' : 'removed'
    for (const o of removed) process.stdout.write(`${describeObject(verb, o)}\n`)
    for (const { object, error } of failed) {
      process.stderr.write(`${describeObject('could not remove', object)}: ${error instanceof Error ? error.message : String(error)}\n`)
    }
    process.stdout.write(`${summarize(removed, options)}\n`)
    return failed.length ? 1 : 0
  } catch (err) {
    process.stderr.write(`levrt gc: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  }
}

function usageError(message: string): number {
  process.stderr.write(`levrt: ${message}\n\n${USAGE}`)
  return 2
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (err: unknown) => {
      process.stderr.write(`levrt: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
      process.exitCode = 1
    },
  )
}
