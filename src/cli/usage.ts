/** Exit codes of every `levrt` command (API.md, "The levrt command"). */
export const EXIT = {
  /** The work is done. */
  done: 0,
  /** The work failed: an export, a module's own code, the engine or the store threw. */
  failed: 1,
  /** The command line asks for something that cannot be done: nothing was run. */
  usage: 2,
} as const
export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/**
 * A problem with what the command line asks for (a missing module, an unknown export, a
 * missing or unknown `--param`...), found before anything runs: the command exits with 2.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}
