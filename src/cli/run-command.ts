import { Command } from 'commander'
import { describeFailure, printPartialResults } from './failure'
import { configure } from './help'
import { moduleLoader, ModuleLoadError, type WorkflowFunction, type WorkflowModule } from './module'
import { argumentsFor, parseParamFlags } from './params'
import { printResult } from './print'
import { EXIT, UsageError, type ExitCode } from './usage'

/** `levrt run <module> [export] [--param name=value]...` */
export function runCommand(finish: (code: ExitCode) => void): Command {
  return configure(new Command('run'))
    .usage('<module> [export] [--param name=value]... [--resume]')
    .summary("run a workflow module's export")
    .description(
      "Runs an export of a workflow module with the --param values as its arguments, in the order the module's " +
        'meta.params lists them (a param with a default may be left out). What it returns is awaited: each ' +
        'Document (a Cr or Task settles to one; an array runs its items together) is printed as a JSON line of ' +
        'its fields on stdout. Live output of the runs goes to stderr (LEVRT_LOG, default pretty on a terminal, ' +
        'else plain).',
    )
    .argument('<module>', 'the workflow module: a .ts or .js file')
    .argument('[export]', 'the function to run; optional when the module lists exactly one')
    .option(
      '-p, --param <name=value>',
      "a value for one of the module's params (repeat for each)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      '--resume',
      'reuse every earlier successful run with the same key (LEVRT_REUSE=1): a workflow that stopped half-way does only what is left',
    )
    .action(
      async (path: string, exportName: string | undefined, options: { param?: string[]; resume?: boolean }) =>
        finish(await run(path, exportName, options.param ?? [], options.resume ?? false)),
    )
}

async function run(
  path: string,
  exportName: string | undefined,
  flags: readonly string[],
  resume: boolean,
): Promise<ExitCode> {
  const given = parseParamFlags(flags)
  if (resume) process.env.LEVRT_REUSE = '1'
  // Before the module loads: runs show their output unless the user chose a mode.
  process.env.LEVRT_LOG ??= process.stderr.isTTY ? 'pretty' : 'plain'
  let mod: WorkflowModule
  try {
    mod = moduleLoader()(path)
  } catch (err) {
    if (!(err instanceof ModuleLoadError)) throw err
    process.stderr.write(`levrt run: cannot load ${path}: ${describeFailure(err.cause)}\n`)
    return EXIT.failed
  }
  const [name, fn] = pickExport(mod, exportName)
  const args = argumentsFor(mod.meta?.params ?? [], given, fn.length)
  const write = (line: string) => void process.stdout.write(line)
  try {
    await printResult(fn(...args), write)
    return EXIT.done
  } catch (err) {
    await printPartialResults(err, write)
    process.stderr.write(
      `levrt run: ${name} failed: ${describeFailure(err, process.env.LEVRT_LOG !== 'quiet')}\n`,
    )
    return EXIT.failed
  }
}

/** The export named on the command line, or the module's only one. */
function pickExport(mod: WorkflowModule, name: string | undefined): [string, WorkflowFunction] {
  const names = [...mod.functions.keys()]
  const listed = names.length
    ? `${mod.meta?.exports ? 'its meta lists' : 'it exports'} ${names.join(', ')}`
    : 'it exports no function'
  if (name === undefined) {
    if (names.length === 1) return [names[0], mod.functions.get(names[0])!]
    throw new UsageError(`name the export to run: ${listed}`)
  }
  const fn = mod.functions.get(name)
  if (!fn) throw new UsageError(`${mod.path} has no export ${name} to run: ${listed}`)
  return [name, fn]
}
