import { content, dir, type RootfsEntry } from '../archive/pack'
import { ENTRY, type Entry } from '../entry'
import type { Mount } from '../engine/engine'
import { OUT_DIR, RECORDS_FILE } from '../results/records'
import { OWN_NODE, RUNTIME_DIR } from './bundle'
import type { EntryNode } from './image-node'
import type { RuntimeSources } from './sources'

/**
 * An empty tmpfs mounted inside the results folder: the engine makes the folder (and /.levrt)
 * as the mountpoint's parents, so a run needs no archive upload just to have it. Records land
 * beside the mount, on the container's own disk, and outlive the container's stop.
 */
export const RESULTS_MOUNT = `${OUT_DIR}/.mnt`

/** Entries up to this size travel in the environment; larger ones as a file. */
const INLINE_ENTRY_BYTES = 96 * 1024

export interface Shipment {
  /** What replaces the image's ENTRYPOINT (the image's own node runs our runtime). */
  readonly entrypoint?: readonly string[]
  readonly env: readonly string[]
  /** Files to upload before start; empty when nothing needs the (slow) archive API. */
  readonly files: readonly RootfsEntry[]
  /** The runtime volume, when our node runs the entry. */
  readonly mounts: readonly Mount[]
}

/**
 * How levrt's part of a run gets into its container. Uploading through the engine's archive API
 * costs a filesystem mount on the engine (about 50 ms here), so it is used only when needed:
 * a large entry, or a tool running as another user than root, which needs the results folder
 * world-writable (the engine makes it root's).
 */
export function ship(
  runId: string,
  entry: Entry | undefined,
  nonRootUser: boolean,
  sources: () => RuntimeSources,
  node: EntryNode = { kind: 'image' },
): Shipment {
  const env = [`LEV_RECORDS=${RECORDS_FILE}`, `LEV_RUN_ID=${runId}`]
  const files: RootfsEntry[] = nonRootUser ? [dir('/.levrt', 0o755), dir(OUT_DIR, 0o1777)] : []
  if (!entry) return { env, files, mounts: [] }
  // Ours is started through its own loader, from the read-only runtime volume.
  const nodeCommand = node.kind === 'image' ? ['node'] : OWN_NODE
  const mounts: Mount[] =
    node.kind === 'image' ? [] : [{ kind: 'volume', name: node.volume, target: RUNTIME_DIR, readOnly: true }]
  const { runtime, tslib } = sources()
  const payload = JSON.stringify(entry[ENTRY])
  if (Buffer.byteLength(payload) <= INLINE_ENTRY_BYTES) {
    // `--` ends node's own options: `cmd` goes to the entry, whatever it looks like.
    return {
      entrypoint: [...nodeCommand, '-e', `${tslib}\n;${runtime}`, '--'],
      env: [...env, `LEV_ENTRY=${payload}`],
      files,
      mounts,
    }
  }
  return {
    entrypoint: [...nodeCommand, '/.levrt/lev-runtime.js'],
    env,
    mounts,
    files: [
      dir('/.levrt', 0o755),
      dir(OUT_DIR, nonRootUser ? 0o1777 : 0o755),
      content('/.levrt/lev-runtime.js', runtime),
      content('/.levrt/tslib.js', tslib),
      content('/.levrt/entry.json', payload),
    ],
  }
}
