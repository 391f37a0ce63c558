/**
 * Builds an image from a Dockerfile folder through the engine's build API, the way users build
 * theirs, and skips the build when the folder and its base image have not changed.
 */
import { createHash } from 'node:crypto'
import { readdir, readFile, stat } from 'node:fs/promises'
import { basename, join, relative } from 'node:path'
import type Dockerode from 'dockerode'
import { ensureKeyed, inspectImage, KEY_LABEL, type ImageResult } from './image'
import { lines } from './proc'

export interface DockerfileRecipe {
  /** e.g. `levkit/nmap:1.0` */
  ref: string
  /** The build context: a folder with a Dockerfile. */
  dir: string
}

/** Every file under `dir`, relative and sorted, so that the key does not depend on listing order. */
async function contextFiles(dir: string): Promise<string[]> {
  const found = await readdir(dir, { recursive: true, withFileTypes: true })
  return found
    .filter((e) => !e.isDirectory())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort()
}

/** The image of the Dockerfile's first FROM (flags such as --platform skipped). */
function baseImage(dockerfile: string, path: string): string {
  const from = /^\s*FROM\s+(.+)$/im
    .exec(dockerfile)?.[1]
    .split(/\s+/)
    .find((w) => !w.startsWith('--'))
  if (!from) throw new Error(`${path} has no FROM line`)
  return from
}

/** sha256 over the builder version, the ref, the base image's id and each file's path, mode and bytes. */
async function folderKey(
  recipe: DockerfileRecipe,
  files: string[],
  baseId: string,
  version: string,
): Promise<string> {
  const hash = createHash('sha256').update(`levrt-dockerfile-key ${version}\n${recipe.ref}\n${baseId}\n`)
  for (const file of files) {
    const path = join(recipe.dir, file)
    const [info, bytes] = await Promise.all([stat(path), readFile(path)])
    hash.update(
      `${file}\t${(info.mode & 0o777).toString(8)}\t${createHash('sha256').update(bytes).digest('hex')}\n`,
    )
  }
  return hash.digest('hex')
}

/** Shows the build's output on stderr, line by line; rejects with the build's own error. */
function followBuild(response: NodeJS.ReadableStream, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let error: string | undefined
    lines(response, (line) => {
      if (!line.trim()) return
      let msg: { stream?: string; status?: string; error?: string; errorDetail?: { message?: string } }
      try {
        msg = JSON.parse(line)
      } catch {
        msg = { stream: line }
      }
      if (msg.error || msg.errorDetail) error = msg.errorDetail?.message ?? msg.error
      // The classic builder colours a step's stderr with ANSI codes; the prefix says enough.
      for (const text of (msg.stream ?? msg.status ?? '').replace(/\x1b\[[0-9;]*m/g, '').split('\n')) {
        if (text.trim()) process.stderr.write(`images:   ${name} | ${text.trimEnd()}\n`)
      }
    })
    response.once('error', reject)
    response.once('end', () => (error ? reject(new Error(error)) : resolve()))
  })
}

/** Builds `recipe.ref` from its folder unless an image with the same content key is tagged so. */
export async function ensureDockerfileImage(
  docker: Dockerode,
  recipe: DockerfileRecipe,
  version: string,
): Promise<ImageResult> {
  const dockerfilePath = join(recipe.dir, 'Dockerfile')
  const dockerfile = await readFile(dockerfilePath, 'utf8').catch(() => {
    throw new Error(`${recipe.ref}: no Dockerfile at ${dockerfilePath}`)
  })
  const base = baseImage(dockerfile, dockerfilePath)
  const baseInfo = await inspectImage(docker, base)
  if (!baseInfo)
    throw new Error(
      `${recipe.ref}: its base image ${base} is not built (it must come earlier in scripts/images.ts)`,
    )
  const files = await contextFiles(recipe.dir)
  const key = await folderKey(recipe, files, baseInfo.id, version)

  return ensureKeyed(docker, recipe.ref, key, async () => {
    const name = basename(recipe.dir)
    process.stderr.write(`images: docker build ${recipe.dir} -t ${recipe.ref}\n`)
    try {
      // rm + forcerm: no build container is left behind, whether a step succeeds or fails.
      const response = await docker.buildImage(
        { context: recipe.dir, src: files },
        { t: recipe.ref, rm: true, forcerm: true, labels: { [KEY_LABEL]: key } },
      )
      await followBuild(response, name)
    } catch (err) {
      throw new Error(`docker build of ${recipe.ref} (${dockerfilePath}) failed: ${(err as Error).message}`, {
        cause: err,
      })
    }
  })
}
