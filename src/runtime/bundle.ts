import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { realpath, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { promisify } from 'node:util'
import { content, dir, file, type RootfsEntry } from '../archive/pack'
import type { RuntimeSources } from './sources'

/**
 * The node levrt brings into images that have none: this process's node binary, every shared
 * library it links (ldd) and its own dynamic loader, run as
 * `<dir>/ld-linux-x86-64.so.2 --library-path <dir>/lib <dir>/node`. The loader never looks at
 * the image's /lib, so the image's libc (glibc, musl or none) does not matter. The in-container
 * runtime is plain JS: an entry does not depend on which node this is.
 */
export interface NodeBundle {
  /** Content key: changes with any file that goes into the volume. */
  readonly key: string
  /** Where the files go, relative to the volume's root. */
  readonly entries: readonly RootfsEntry[]
  readonly nodeVersion: string
}

/** Where the runtime volume is mounted in a run's container (read-only). */
export const RUNTIME_DIR = '/.levrt/rt'
const LOADER = 'ld-linux-x86-64.so.2'
/** Put into the volume after everything else (a second upload: tar entries are sorted): present means complete. */
export const COMPLETE_MARK = '.complete'

/** How to start our node inside the container, before node's own arguments. */
export const OWN_NODE: readonly string[] = [
  `${RUNTIME_DIR}/${LOADER}`,
  '--library-path',
  `${RUNTIME_DIR}/lib`,
  `${RUNTIME_DIR}/node`,
]

/** Why this host's node cannot be brought into a container; undefined if it can. */
export function bundleUnavailable(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return `levrt brings its node only from a linux x86_64 host (this one is ${process.platform} ${process.arch})`
  }
  return undefined
}

const run = promisify(execFile)

/** Gathers this process's node, its libraries and loader, and the runtime's scripts (see RuntimeMemo). */
export async function makeBundle({ runtime, tslib }: RuntimeSources): Promise<NodeBundle> {
  const node = await realpath(process.execPath)
  const { stdout } = await run('ldd', [node])
  if (/not found/.test(stdout)) throw new Error(`ldd ${node}: missing libraries\n${stdout}`)
  const paths = [...stdout.matchAll(/(\/\S+) \(0x[0-9a-f]+\)/g)].map((m) => m[1])
  const loader = paths.find((p) => basename(p) === LOADER)
  if (!loader) throw new Error(`${node} does not use ${LOADER} (ldd says:\n${stdout})`)
  const libs = paths.filter((p) => p !== loader)
  // Keyed by what stat says of each binary (hashing 100 MB per process would cost ~0.3 s) and
  // by the scripts' bytes: a changed file is a new key, hence a new volume.
  const hash = createHash('sha256').update(`levrt-runtime 1\n${process.version}\n`)
  const real = await Promise.all([node, loader, ...libs].map((p) => realpath(p)))
  for (const path of real) {
    const info = await stat(path)
    hash.update(`${path}\t${info.size}\t${info.mtimeMs}\t${info.ino}\n`)
  }
  hash.update(runtime).update('\0').update(tslib)
  const [realNode, realLoader, ...realLibs] = real
  const entries: RootfsEntry[] = [
    dir('/lib', 0o755),
    // World-readable and executable: a tool image's USER may be anyone.
    file(`/node`, realNode, 0o755),
    file(`/${LOADER}`, realLoader, 0o755),
    ...realLibs.map((p, i) => file(`/lib/${basename(libs[i])}`, p, 0o755)),
    content('/lev-runtime.js', runtime, 0o644),
    content('/tslib.js', tslib, 0o644),
  ]
  return { key: hash.digest('hex').slice(0, 32), entries, nodeVersion: process.version }
}
