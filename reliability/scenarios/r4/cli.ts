import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { main } from '../../../src/cli/levrt'
import { check, describeError, expectThat, type PropertyResult } from '../../lib/property'

const WORDS = [
  ...['run', 'meta', 'find', 'ls', 'help', 'envd', 'check', 'gc', 'nodes', '--help', '-h', '--version'],
  ...['--param', '--resume', '--json', '--dry-run', '--data', '--cpus', '--memory', '--pids', '--limit'],
  ...['--listen', '--log', '--seed', '-p', '--', '-', 'x=1', '=', 'target=', 'a/b@1.0', 'ts/issues@1.0'],
  ...['{}', '{', '[]', '{"$where":"1"}', '{"a":{"$regex":"("}}', '{"_id":{"$gt":null}}', 'null', '1e999'],
]
const token = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...WORDS) },
  fc.string({ maxLength: 12 }),
  fc.string({ maxLength: 8 }).map((s) => `--${s}`),
  fc.tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 })).map(([k, v]) => `${k}=${v}`),
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
)

/**
 * What this property must not run: the service itself (`envd` but `envd check`), `gc` (it
 * removes objects of dead processes: other work on this engine), and a command naming a path
 * that exists (a directory walked whole by `envd check /`, a module that would run).
 */
function safe(argv: readonly string[]): boolean {
  if (argv.includes('--help') || argv.includes('-h')) return !argv.some((a) => existsSync(a))
  const [command, sub] = argv
  if (command === 'gc' || (command === 'envd' && sub !== 'check')) return false
  return !argv.some((a) => a !== '' && a !== '-' && existsSync(a))
}

/**
 * `levrt` command lines, run in this process through `main` (a process per case would measure
 * node's start-up): exit 0, 1 or 2, never an exception; a usage error (2) says what is wrong.
 * The store is an empty embedded one in a scratch LEV_HOME; output is captured, not printed.
 */
export async function cliProperty(seed: number, runs: number): Promise<PropertyResult> {
  const home = mkdtempSync(join(tmpdir(), 'levrt-r4-cli-'))
  // `levrt run --resume` sets LEVRT_REUSE in this process: it must not outlive the property.
  const saved = {
    home: process.env.LEV_HOME,
    mongo: process.env.LEV_MONGO_URL,
    reuse: process.env.LEVRT_REUSE,
  }
  process.env.LEV_HOME = home
  delete process.env.LEV_MONGO_URL
  try {
    return await check(
      'levrt command lines',
      fc.array(token, { maxLength: 6 }).filter(safe),
      async (argv) => {
        const { code, stderr } = await captured(() => main(argv))
        if (code instanceof Error) throw new Error(`threw ${describeError(code)}`)
        expectThat([0, 1, 2].includes(code), () => `exit ${code}`)
        expectThat(code !== 2 || stderr.trim() !== '', () => 'a usage error that says nothing')
      },
      seed,
      runs,
    )
  } finally {
    restore('LEV_HOME', saved.home)
    restore('LEV_MONGO_URL', saved.mongo)
    restore('LEVRT_REUSE', saved.reuse)
    rmSync(home, { recursive: true, force: true })
  }
}

async function captured(fn: () => Promise<number>): Promise<{ code: number | Error; stderr: string }> {
  const out = process.stdout.write.bind(process.stdout)
  const err = process.stderr.write.bind(process.stderr)
  let stderr = ''
  process.stdout.write = (() => true) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk)
    return true
  }) as typeof process.stderr.write
  const exitCode = process.exitCode
  try {
    return { code: await fn(), stderr }
  } catch (e) {
    return { code: e instanceof Error ? e : new Error(String(e)), stderr }
  } finally {
    process.stdout.write = out
    process.stderr.write = err
    process.exitCode = exitCode
  }
}

function restore(key: string, value: string | undefined): void {
  if (value === undefined) delete process.env[key]
  else process.env[key] = value
}
