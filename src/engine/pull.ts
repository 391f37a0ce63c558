import type Dockerode from 'dockerode'
import { ImageUnavailableError } from '../errors'

interface PullEvent {
  readonly id?: string
  readonly status?: string
  readonly progress?: string
  readonly error?: string
}

/** `name` -> `name:latest`: the engine pulls every tag of a bare repository name otherwise. */
export function withTag(image: string): string {
  if (image.includes('@')) return image
  const lastPart = image.slice(image.lastIndexOf('/') + 1)
  return lastPart.includes(':') ? image : `${image}:latest`
}

/**
 * Pulls an image and shows progress on stderr, one line per layer state change (not per byte:
 * a CI log stays readable). Any failure, including "no registry answers", becomes an
 * `ImageUnavailableError` that says how to build or load the image instead.
 */
export async function pull(
  docker: Dockerode,
  image: string,
  log: (line: string) => void = defaultLog,
): Promise<void> {
  const ref = withTag(image)
  log(`levrt: ${image} is not on the engine; pulling ${ref}`)
  try {
    const stream = (await docker.pull(ref)) as NodeJS.ReadableStream
    await new Promise<void>((resolve, reject) => {
      const last = new Map<string, string>()
      docker.modem.followProgress(
        stream,
        (err: Error | null, events: PullEvent[]) => {
          const failed = err ?? events.find((e) => e.error)?.error
          if (failed) reject(failed instanceof Error ? failed : new Error(failed))
          else resolve()
        },
        (e: PullEvent) => {
          if (!e.status) return
          const key = e.id ?? ''
          if (last.get(key) === e.status) return
          last.set(key, e.status)
          log(`levrt: ${ref}: ${e.id ? `${e.id} ` : ''}${e.status}${e.progress ? ` ${e.progress}` : ''}`)
        },
      )
    })
  } catch (err) {
    throw new ImageUnavailableError(image, err)
  }
}

function defaultLog(line: string): void {
  process.stderr.write(`${line}\n`)
}
