import { readFile, realpath, stat } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { isCollection, isScalar, parseDocument, visit, type Document } from 'yaml'
import { EnvdError } from '../errors'

/** A compose file is a few KiB; more is not a compose file. */
const MAX_BYTES = 256 * 1024
/** What a `compose_file` naming a folder (the seed calls it the compose "directory") looks for. */
const NAMES = ['docker-compose.yaml', 'docker-compose.yml', 'compose.yaml', 'compose.yml']

/**
 * The file `compose_file` names under `root` (`<data>/compose/`), by its real path: `..`, an
 * absolute path or a symlink that leads out of `root` is refused, as is a missing file.
 */
export async function resolveComposePath(root: string, composeFile: string): Promise<string> {
  const where = `compose_file ${JSON.stringify(composeFile)}`
  if (isAbsolute(composeFile) || composeFile.split(/[\\/]/).includes('..'))
    throw new EnvdError(400, `${where} leaves ${root}/`)
  let rootReal: string
  let real: string
  try {
    rootReal = await realpath(root)
    real = await realpath(resolve(rootReal, composeFile))
  } catch {
    throw new EnvdError(400, `${where} does not exist under ${root}/`)
  }
  const inside = relative(rootReal, real)
  if (inside.startsWith('..') || isAbsolute(inside))
    throw new EnvdError(400, `${where} leaves ${root}/ (through a symlink)`)
  const info = await stat(real)
  if (info.isFile()) return real
  if (info.isDirectory()) {
    for (const name of NAMES) {
      const file = join(real, name)
      if ((await stat(file).catch(() => undefined))?.isFile())
        return resolveComposePath(root, relative(rootReal, file))
    }
    throw new EnvdError(400, `${where} is a folder without ${NAMES.join(', ')}`)
  }
  throw new EnvdError(400, `${where} is not a file`)
}

/**
 * Reads and parses a compose file: YAML 1.2 with merge keys (`<<: *base`) and a cap on aliases
 * (no billion laughs). Extension fields (`x-*`), where anchors live, are dropped: they are not
 * part of what is deployed.
 */
export async function loadCompose(file: string, shownAs: string): Promise<unknown> {
  const info = await stat(file)
  if (info.size > MAX_BYTES)
    throw new EnvdError(422, `${shownAs} is ${info.size} bytes; a compose file may have at most ${MAX_BYTES}`)
  const text = await readFile(file, 'utf8')
  const doc = parseDocument(text, { merge: true, uniqueKeys: true, prettyErrors: true })
  if (doc.errors.length)
    throw new EnvdError(422, `${shownAs} is not valid YAML: ${doc.errors[0].message.split('\n')[0]}`)
  const key = collectionKey(doc)
  if (key !== undefined)
    throw new EnvdError(
      422,
      `${shownAs}: a key must be a plain value, not a list or a map (${key.slice(0, 80)})`,
    )
  let value: unknown
  try {
    value = doc.toJS({ maxAliasCount: 100 })
  } catch (err) {
    throw new EnvdError(422, `${shownAs}: ${(err as Error).message}`)
  }
  if (isCyclic(value))
    throw new EnvdError(422, `${shownAs}: an alias (*name) refers to a node that contains it`)
  return dropExtensions(value)
}

/**
 * A list, a map or a tagged object (`!!binary`) used as a key (`? [a, b]: x`), which a compose file never has: JavaScript would
 * turn it into a string key (with a process warning each time), as no compose tool reads it.
 */
function collectionKey(doc: Document): string | undefined {
  let found: string | undefined
  visit(doc, {
    Pair(_, pair) {
      const key: unknown = pair.key
      // `!!binary` and other tags make a scalar that is an object too.
      const odd = isCollection(key) || (isScalar(key) && typeof key.value === 'object' && key.value !== null)
      if (!odd) return undefined
      found = String(key)
      return visit.BREAK
    },
  })
  return found
}

/** An alias inside the node it names makes a cycle, which every later step would follow forever. */
function isCyclic(value: unknown, ancestors = new Set<unknown>()): boolean {
  if (typeof value !== 'object' || value === null) return false
  if (ancestors.has(value)) return true
  ancestors.add(value)
  const children = Array.isArray(value) ? value : Object.values(value)
  const cyclic = children.some((child) => isCyclic(child, ancestors))
  ancestors.delete(value)
  return cyclic
}

function dropExtensions(value: unknown): unknown {
  if (!isObject(value)) return value
  const top = withoutX(value)
  if (isObject(top.services)) {
    top.services = Object.fromEntries(
      Object.entries(top.services).map(([k, v]) => [k, isObject(v) ? withoutX(v) : v]),
    )
  }
  return top
}

function withoutX(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith('x-')))
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
