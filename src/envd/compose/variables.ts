import { readFile, realpath } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { parseEnv } from 'node:util'

/** An env file is a few lines; more is not one. */
const MAX_ENV_BYTES = 64 * 1024

/**
 * Where a compose file's own variables come from: the `.env` beside it (interpolation and bare
 * `KEY` entries) and the `env_file`s its services name, all inside the compose file's folder.
 * Nothing here reads the host's environment.
 */
export interface ComposeFolder {
  /** The compose file's folder, by its real path. */
  readonly dir: string
  /** The `.env` beside the compose file (empty when there is none, or it is refused). */
  readonly dotenv: ReadonlyMap<string, string>
  /** Why the `.env` beside the compose file was refused (a symlink out of the folder, unreadable). */
  readonly dotenvProblem?: string
  /** Reads an env_file named relative to the folder: undefined when missing, an Error when refused. */
  envFile(path: string): Promise<ReadonlyMap<string, string> | undefined | Error>
}

export async function composeFolder(composeFile: string): Promise<ComposeFolder> {
  const dir = await realpath(dirname(composeFile))
  const envFile = (path: string) => readInside(dir, path)
  const dotenv = await envFile('.env')
  if (dotenv instanceof Error) return { dir, dotenv: new Map(), dotenvProblem: dotenv.message, envFile }
  return { dir, dotenv: dotenv ?? new Map(), envFile }
}

async function readInside(
  dir: string,
  path: string,
): Promise<ReadonlyMap<string, string> | undefined | Error> {
  if (isAbsolute(path) || path.split(/[\\/]/).includes('..')) {
    return new Error(
      `${JSON.stringify(path)} is outside the compose file's folder: put the file beside the compose file`,
    )
  }
  let real: string
  try {
    real = await realpath(resolve(dir, path))
  } catch {
    return undefined
  }
  const inside = relative(dir, real)
  if (inside.startsWith('..') || isAbsolute(inside)) {
    return new Error(`${JSON.stringify(path)} leads out of the compose file's folder (through a symlink)`)
  }
  try {
    const text = await readFile(join(dir, inside), 'utf8')
    if (Buffer.byteLength(text) > MAX_ENV_BYTES)
      return new Error(`${JSON.stringify(path)} is larger than ${MAX_ENV_BYTES} bytes`)
    return new Map(
      Object.entries(parseEnv(text)).flatMap(([k, v]) => (v === undefined ? [] : [[k, v] as const])),
    )
  } catch (err) {
    return new Error(`${JSON.stringify(path)} cannot be read: ${(err as Error).message}`)
  }
}
