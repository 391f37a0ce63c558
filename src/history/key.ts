import { createHash } from 'node:crypto'

/** What decides a run's result, as far as levrt can know it. */
export interface KeyInputs {
  /** The image's id (`sha256:...`): a rebuilt image is a different image. */
  readonly imageId: string
  readonly entry: { readonly source: string; readonly args: string } | undefined
  readonly cmd: readonly string[] | undefined
  readonly env: readonly string[]
  /** `digestFiles()` of the main container's files. */
  readonly files: string
  /** The collection: schema and namespace together (`ns|...|schema`). */
  readonly collection: string
}

/**
 * A run's key (`doc.run.key`): a sha256 over its inputs. Runs with equal keys are the same work;
 * `reuse` and `previous()` find each other by it. Env entries count in order given, as the
 * container sees them; services and links are not part of it (they are the run's surroundings).
 */
export function runKey(inputs: KeyInputs): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        // 2: the entry's source is canonical (history/entry-source), not as the loader printed it.
        'levrt-run-key-2',
        inputs.imageId,
        inputs.entry ?? null,
        inputs.cmd ?? null,
        inputs.env,
        inputs.files,
        inputs.collection,
      ]),
    )
    .digest('hex')
}
