/**
 * Import a rootfs tar stream as a Docker image (POST /images/create?fromSrc=-), and skip the work
 * when an image built from the same inputs is already there.
 */
import { createHash } from 'node:crypto'
import { stat } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import type Dockerode from 'dockerode'
import { packEntries, type RootfsEntry } from '../../src/archive/pack'

/** Image label holding the content key of the inputs the image was built from. */
export const KEY_LABEL = 'io.levrt.image.key'

export interface ImageRef {
  repo: string
  tag: string
}

/** `levrt/node:20` -> { repo: 'levrt/node', tag: '20' }; no tag means `latest`. */
export function parseRef(ref: string): ImageRef {
  const slash = ref.lastIndexOf('/')
  const colon = ref.lastIndexOf(':')
  return colon > slash
    ? { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) }
    : { repo: ref, tag: 'latest' }
}

/**
 * sha256 over the builder version, each input file's path, size and mtime, and any extra
 * recipe data (tag, changes). Cheap: no file is read.
 */
export async function contentKey(version: string, files: readonly string[], extra: unknown): Promise<string> {
  const hash = createHash('sha256')
  hash.update(`levrt-image-key ${version}\n`)
  for (const path of files) {
    const info = await stat(path).catch(() => {
      throw new Error(`image input missing: ${path}`)
    })
    hash.update(`${path}\t${info.size}\t${Math.trunc(info.mtimeMs)}\n`)
  }
  hash.update(JSON.stringify(extra))
  return hash.digest('hex')
}

export interface ImageInfo {
  id: string
  size: number
  key?: string
}

/** The image tagged `ref`, or undefined when there is none. */
export async function inspectImage(docker: Dockerode, ref: string): Promise<ImageInfo | undefined> {
  try {
    const info = await docker.getImage(ref).inspect()
    return { id: info.Id, size: info.Size, key: info.Config?.Labels?.[KEY_LABEL] }
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined
    throw err
  }
}

/** Drains the engine's JSON-lines progress output, throwing on an `error` line. */
async function readProgress(response: Readable): Promise<void> {
  let text = ''
  for await (const chunk of response) text += chunk.toString()
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    const msg = JSON.parse(line) as { error?: string; errorDetail?: { message?: string } }
    if (msg.error || msg.errorDetail) throw new Error(msg.errorDetail?.message ?? msg.error)
  }
}

/**
 * Streams `tar` to the engine as a single-layer image tagged `ref`. `changes` are Dockerfile
 * instructions applied to the config (ENV, CMD, ENTRYPOINT, LABEL, EXPOSE, ...).
 */
export async function importTar(
  docker: Dockerode,
  tar: Readable,
  ref: string,
  changes: string[],
): Promise<void> {
  const { repo, tag } = parseRef(ref)
  const tarFailed = new Promise<never>((_, reject) => tar.once('error', reject))
  tarFailed.catch(() => {})
  // `changes` is an array: sent as repeated `changes=` query parameters, as the API expects.
  const response = await Promise.race([docker.importImage(tar, { repo, tag, changes }), tarFailed])
  await Promise.race([readProgress(response as Readable), tarFailed])
}

export interface ImageRecipe {
  /** Image reference, e.g. `levrt/node:20`. */
  ref: string
  /** Host files whose size and mtime decide whether a rebuild is needed. */
  keyFiles: () => Promise<string[]> | string[]
  /** Dockerfile-style config changes (the key label is added automatically). */
  changes: string[]
  /** Runs only when a build is needed, before `rootfs` (e.g. compile a binary). */
  prepare?: () => Promise<void>
  rootfs: () => Promise<RootfsEntry[]> | RootfsEntry[]
}

export interface ImageResult {
  ref: string
  status: 'built' | 'up to date'
  size: number
  seconds: number
}

/**
 * Runs `build` (which must tag `ref` with `key` in its KEY_LABEL) unless `ref` already carries
 * that key. The image it replaces is removed when nothing else uses it.
 */
export async function ensureKeyed(
  docker: Dockerode,
  ref: string,
  key: string,
  build: () => Promise<void>,
): Promise<ImageResult> {
  const started = performance.now()
  const elapsed = () => (performance.now() - started) / 1000
  const existing = await inspectImage(docker, ref)
  if (existing?.key === key) return { ref, status: 'up to date', size: existing.size, seconds: elapsed() }

  await build()

  const built = await inspectImage(docker, ref)
  if (built?.key !== key) throw new Error(`building ${ref} did not produce an image with the expected key`)
  if (existing && existing.id !== built.id) {
    // The old image is now untagged; drop it unless something still uses it.
    await docker
      .getImage(existing.id)
      .remove()
      .catch(() => {})
  }
  return { ref, status: 'built', size: built.size, seconds: elapsed() }
}

/** Builds the image unless one with the same content key is already tagged `ref`. */
export async function ensureImage(
  docker: Dockerode,
  recipe: ImageRecipe,
  version: string,
): Promise<ImageResult> {
  const key = await contentKey(version, await recipe.keyFiles(), { ref: recipe.ref, changes: recipe.changes })
  return ensureKeyed(docker, recipe.ref, key, async () => {
    await recipe.prepare?.()
    const entries = await recipe.rootfs()
    await importTar(docker, packEntries(entries, { addParents: true }), recipe.ref, [
      ...recipe.changes,
      `LABEL ${KEY_LABEL}=${key}`,
    ])
  })
}
