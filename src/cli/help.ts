import type { Command } from 'commander'

const SYNOPSIS = 'levrt <command> [options]'

/**
 * The same help layout and error handling on the program and on each command: lowercase
 * headings, a usage block that starts with the program's synopsis (then the command's own
 * line), errors as `levrt: <what>` followed by the relevant help on stderr, and no
 * `process.exit` from commander: `main` maps its errors to exit codes.
 */
export function configure(cmd: Command): Command {
  return cmd
    .exitOverride()
    .helpOption('-h, --help', 'show this help')
    .showSuggestionAfterError(true)
    .configureHelp({
      styleTitle: (title) => title.toLowerCase(),
      commandUsage: (c) => (c.parent ? `${SYNOPSIS}\n       levrt ${c.name()} ${c.usage()}` : SYNOPSIS),
      subcommandTerm: (c) => `${c.name()} ${c.usage()}`,
    })
    .configureOutput({
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => process.stderr.write(text),
      // Commander says `error: unknown option '--x'`; we say which program, then show the help.
      outputError: (text, write) =>
        write(`levrt: ${text.replace(/^error: /, '').trimEnd()}\n\n${cmd.helpInformation()}`),
    })
}

/** The closing lines of the program's help. */
export const PROGRAM_EPILOGUE = `
exit codes: 0 done, 1 the work failed, 2 a usage error (nothing was run).
\`levrt <command> --help\` describes a command.`
