import { readdir, stat } from 'node:fs/promises'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { Command } from 'commander'
import { configure } from './help'
import { EXIT, UsageError, type ExitCode } from './usage'

interface CheckFlags {
  json?: boolean
  data?: string
  cpus: string
  memory: string
  pids: string
  capAllow?: string
}

/** What `check` looks for in a folder (the names a `compose_file` naming a folder finds). */
const NAMES = new Set(['docker-compose.yaml', 'docker-compose.yml', 'compose.yaml', 'compose.yml'])

/** One compose file to check: the root it is named under, and its name there (as a create's compose_file). */
interface Target {
  readonly shown: string
  readonly root: string
  readonly composeFile: string
}

/** `levrt envd check [--json] [--data DIR] FILE|DIR...`: compose files checked as a create checks them. */
export function envdCheckCommand(finish: (code: ExitCode) => void): Command {
  const command = configure(new Command('check'))
  // The shared help says `levrt <name>`; this one is under envd.
  command.configureHelp({ ...command.configureHelp(), commandUsage: (c) => `levrt envd check ${c.usage()}` })
  return command
    .usage('[--json] [--data DIR] FILE|DIR...')
    .summary('check compose files as a create would')
    .description(
      'Checks each compose file (a FOLDER: every docker-compose.y[a]ml / compose.y[a]ml under it) ' +
        'through the same code a create runs, and prints what would run (services, images, the exposed ' +
        'port, where the flag goes, the limits applied) or every problem with its fix. With --data, ' +
        'paths are compose_file values under <data>/compose/. ' +
        'Exit codes: 0 all accepted, 1 any refused, 2 a usage error.',
    )
    .argument('<paths...>', 'compose files or folders of them')
    .option('--json', 'one JSON object per file, one per line')
    .option('--data <dir>', 'name files as a create does: under <data>/compose/')
    .option('--cpus <n>', "the service's CPU cap the file's limits are held to", '0.5')
    .option('--memory <size>', "the service's memory cap", '256m')
    .option('--pids <n>', "the service's process cap", '128')
    .option('--cap-allow <caps>', "what a file's cap_add may add (as levrt envd's --cap-allow)")
    .action(async (paths: string[], flags: CheckFlags) => finish(await check(paths, flags)))
}

async function check(paths: readonly string[], flags: CheckFlags): Promise<ExitCode> {
  // Loaded here: `levrt --help` need not load the policy.
  const { resolveOptions, EnvdOptionsError } = await import('../envd/options')
  const { ComposePolicy } = await import('../envd/compose/policy')
  const { planComposeFile } = await import('../envd/compose/check')
  const { ComposeRefusal } = await import('../envd/compose/problems')
  const { summarize, limitsText } = await import('../envd/compose/summary')
  let options
  try {
    options = resolveOptions({
      data: flags.data,
      cpus: flags.cpus,
      memory: flags.memory,
      pids: flags.pids,
      capAllow: flags.capAllow,
      nodeIp: '127.0.0.1',
    })
  } catch (err) {
    if (err instanceof EnvdOptionsError) throw new UsageError(err.message)
    throw err
  }
  const targets = (
    await Promise.all(
      paths.map((p) => targetsOf(p, flags.data === undefined ? undefined : join(options.dataDir, 'compose'))),
    )
  ).flat()
  const policy = new ComposePolicy(options.hardening.capAllow)
  let refused = 0
  for (const t of targets) {
    const out = (line: string) => process.stdout.write(`${line}\n`)
    try {
      const summary = summarize(await planComposeFile(policy, t.root, t.composeFile), options.hardening)
      if (flags.json) out(JSON.stringify({ file: t.shown, accepted: true, ...summary }))
      else {
        out(`${t.shown}: accepted`)
        out(`  exposed: ${summary.exposed}`)
        for (const s of summary.services) {
          const extra = [
            ...(s.healthcheck ? ['healthcheck gates CREATED'] : []),
            ...s.waitsFor.map((w) => `waits for ${w}`),
          ]
          out(`  service ${s.name}: ${s.image}${extra.length ? `; ${extra.join('; ')}` : ''}`)
          out(`    limits: ${limitsText(s.limits)}`)
        }
        const flag = summary.flag.length
          ? summary.flag.join(', ')
          : 'nowhere (a create with a flag is refused)'
        out(`  flag: ${flag}`)
      }
    } catch (err) {
      if (!(err instanceof Error && 'statusCode' in err)) throw err
      refused++
      const problems =
        err instanceof ComposeRefusal ? err.problems : [{ path: '(the file)', reason: err.message }]
      if (flags.json) out(JSON.stringify({ file: t.shown, accepted: false, problems }))
      else {
        out(`${t.shown}: refused, ${problems.length === 1 ? '1 problem' : `${problems.length} problems`}`)
        for (const p of problems) out(`  - ${p.path}: ${p.reason}`)
      }
    }
  }
  if (!flags.json)
    process.stderr.write(`levrt envd check: ${targets.length - refused} accepted, ${refused} refused\n`)
  return refused ? EXIT.failed : EXIT.done
}

/** The compose files a path names: itself, or those under a folder (sorted); none is a usage error. */
async function targetsOf(path: string, dataRoot: string | undefined): Promise<Target[]> {
  const full = dataRoot === undefined ? resolve(path) : resolve(dataRoot, path)
  const info = await stat(full).catch(() => undefined)
  if (!info) throw new UsageError(`${path}: no such file or folder${dataRoot ? ` under ${dataRoot}/` : ''}`)
  const target = (file: string): Target => {
    const root = dataRoot ?? (info.isDirectory() ? full : dirname(full))
    return {
      shown: dataRoot ? relative(dataRoot, file) : relative(process.cwd(), file) || file,
      root,
      composeFile: relative(root, file),
    }
  }
  if (!info.isDirectory()) return [target(full)]
  const found = (await readdir(full, { recursive: true }))
    .filter(
      (f) =>
        NAMES.has(basename(f)) &&
        !f.split(/[\\/]/).some((part) => part === 'node_modules' || part.startsWith('.')),
    )
    .sort()
  if (!found.length)
    throw new UsageError(`${path}: a folder without ${[...NAMES].join(', ')} anywhere under it`)
  return found.map((f) => target(join(full, f)))
}
