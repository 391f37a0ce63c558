#!/usr/bin/env node
/**
 * The `levrt` command (API.md, "The levrt command"): `run`, `meta`, `find`, `ls`, `gc` and `envd`, one
 * file each beside this one. Exit codes: 0 done, 1 the work failed, 2 a usage error.
 */
import { Command, CommanderError } from 'commander'
import { envdCommand } from './envd-command'
import { findCommand } from './find-command'
import { gcCommand } from './gc-command'
import { lsCommand } from './ls-command'
import { configure, PROGRAM_EPILOGUE } from './help'
import { metaCommand } from './meta-command'
import { runCommand } from './run-command'
import { ignoreClosedReader } from '../log/stream'
import { EXIT, UsageError, type ExitCode } from './usage'

/** Runs the command line `argv` (without node and the script); resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<ExitCode> {
  let code: ExitCode = EXIT.done
  const finish = (c: ExitCode) => void (code = c)
  const commands = [
    runCommand(finish),
    metaCommand(finish),
    findCommand(finish),
    lsCommand(finish),
    gcCommand(finish),
    envdCommand(finish),
  ]
  const program = configure(new Command('levrt'))
    .description('Security-tool workflows in TypeScript: every step runs in a Docker container.')
    .helpCommand('help [command]', 'show the help of a command')
    // Options after a command are that command's (`levrt envd check --cpus` is check's, not envd's).
    .enablePositionalOptions()
    .addHelpText('after', PROGRAM_EPILOGUE)
  for (const command of commands) program.addCommand(command)
  // Commander answers a bare `levrt` with its help on stderr and exit 1; it is a request for help.
  if (argv.length === 0) {
    program.outputHelp()
    return EXIT.done
  }
  try {
    await program.parseAsync([...argv], { from: 'user' })
    return code
  } catch (err) {
    // Help asked for: commander exits 0. Anything else it throws is a usage error it has printed.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.done : EXIT.usage
    if (!(err instanceof UsageError)) throw err
    // Only a command's action throws one: argv[0] names that command.
    const prefix = `levrt ${argv[0]}`
    process.stderr.write(`${prefix}: ${err.message}\n(\`${prefix} --help\` for usage)\n`)
    return EXIT.usage
  }
}

if (require.main === module) {
  // `levrt find ... | head`, `levrt run ... 2>&1 | head`: once a reader is gone, its output is
  // dropped and the work goes on, so a run still ends (and stores its results) the normal way.
  ignoreClosedReader(process.stdout)
  ignoreClosedReader(process.stderr)
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (err: unknown) => {
      process.stderr.write(`levrt: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
      process.exitCode = EXIT.failed
    },
  )
}
