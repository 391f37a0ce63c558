/**
 * Builds the local images levrt needs; no registry is used.
 *
 *   ts-node --transpile-only scripts/images.ts          all images below
 *   ts-node --transpile-only scripts/images.ts --test   ... plus levrt-test/ferretdb:1.24 and levrt-test/musl:1.0
 *
 * - levrt/busybox, levrt/node:20: straight from host files, no Dockerfile.
 * - levrt/debian:bookworm: debootstrap from the Debian mirror this machine's apt uses.
 * - levkit/*: from the Dockerfiles under images/, FROM levrt/debian:bookworm, via the build API.
 *
 * Each image carries a content key (label io.levrt.image.key) over its inputs; an image whose key
 * matches is left alone.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { realpath } from 'node:fs/promises'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { connectDocker } from '../src/docker/connection'
import { ensureDockerfileImage, type DockerfileRecipe } from './lib/build'
import { ensureDebian, type DebianRecipe } from './lib/debian'
import { ensureImage, type ImageRecipe, type ImageResult } from './lib/image'
import { content, dir, file, symlink, type RootfsEntry } from '../src/archive/pack'

/** Bump when a recipe below changes in a way its input files don't show. */
const BUILDER_VERSION = '1'

const ROOT = resolve(__dirname, '..')
const FERRETDB_DIR = resolve(ROOT, 'test/ferretdb')
const FERRETDB_BIN = resolve(FERRETDB_DIR, 'ferretdb')

const run = promisify(execFile)

function firstExisting(paths: string[], what: string): string {
  const found = paths.find((p) => existsSync(p))
  if (!found) throw new Error(`${what} not found (looked at ${paths.join(', ')})`)
  return found
}

const hostBusybox = () =>
  firstExisting(['/bin/busybox', '/usr/bin/busybox'], 'static busybox (apt-get install busybox-static)')
const hostNode = () => firstExisting(['/usr/bin/node', process.execPath], 'node')

// ---------------------------------------------------------------------------------------------
// levrt/busybox

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n'
const GROUP = 'root:x:0:\nnobody:x:65534:\n'

/** The image has no libc for busybox, so it must be the static build. */
async function assertStatic(binary: string): Promise<void> {
  const dynamic = await run('ldd', [binary]).then(
    () => true,
    () => false,
  )
  if (dynamic) throw new Error(`${binary} is dynamically linked; install busybox-static`)
}

async function busyboxRootfs(): Promise<RootfsEntry[]> {
  const busybox = hostBusybox()
  await assertStatic(busybox)
  const { stdout } = await run(busybox, ['--list'])
  const applets = stdout.split('\n').filter((name) => name && name !== 'busybox' && !name.includes('/'))
  return [
    file('/bin/busybox', busybox, 0o755),
    ...applets.map((name) => symlink(`/bin/${name}`, 'busybox')),
    dir('/tmp', 0o1777),
    dir('/root', 0o700),
    content('/etc/passwd', PASSWD),
    content('/etc/group', GROUP),
  ]
}

const busyboxImage: ImageRecipe = {
  ref: 'levrt/busybox:latest',
  keyFiles: () => [hostBusybox()],
  changes: ['ENV PATH=/bin:/usr/bin', 'CMD ["sh"]'],
  rootfs: busyboxRootfs,
}

// ---------------------------------------------------------------------------------------------
// levrt/node:20

/** Absolute paths of the shared libraries (and loader) `ldd` says the binary needs. */
async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await run('ldd', [binary])
  if (/not found/.test(stdout)) throw new Error(`ldd ${binary}: missing libraries\n${stdout}`)
  return [...stdout.matchAll(/(\/\S+) \(0x[0-9a-f]+\)/g)].map((m) => m[1])
}

async function nodeInputs(): Promise<{ node: string; libs: string[] }> {
  const node = hostNode()
  return { node, libs: await sharedLibraries(node) }
}

async function nodeRootfs(): Promise<RootfsEntry[]> {
  const { node, libs } = await nodeInputs()
  const { stdout: version } = await run(node, ['--version'])
  if (!version.startsWith('v20.'))
    throw new Error(`levrt/node:20 needs a Node 20 host binary; ${node} is ${version.trim()}`)
  const libEntries = await Promise.all(libs.map(async (lib) => file(lib, await realpath(lib))))
  return [
    ...(await busyboxRootfs()),
    file('/usr/bin/node', node, 0o755),
    dir('/usr/local/bin'),
    ...libEntries,
  ]
}

const nodeImage: ImageRecipe = {
  ref: 'levrt/node:20',
  keyFiles: async () => {
    const { node, libs } = await nodeInputs()
    return [hostBusybox(), node, ...libs]
  },
  changes: ['ENV PATH=/usr/local/bin:/usr/bin:/bin', 'CMD ["node"]'],
  rootfs: nodeRootfs,
}

// ---------------------------------------------------------------------------------------------
// levrt-test/ferretdb:1.24 (test only)

function goBinary(): string {
  const onPath = (process.env.PATH ?? '').split(':').find((d) => d && existsSync(resolve(d, 'go')))
  if (onPath) return resolve(onPath, 'go')
  return firstExisting(['/usr/local/go/bin/go'], 'Go toolchain (go on PATH or /usr/local/go/bin/go)')
}

/** Static FerretDB from test/ferretdb; go.sum is complete, so only the module proxy is used. */
async function buildFerretdb(): Promise<void> {
  const go = goBinary()
  const started = performance.now()
  process.stderr.write(`images: building FerretDB with ${go} (first time ~1-2 min) ...\n`)
  try {
    await run(go, ['build', '-trimpath', '-mod=readonly', '-buildvcs=false', '-o', FERRETDB_BIN, '.'], {
      cwd: FERRETDB_DIR,
      env: { ...process.env, CGO_ENABLED: '0' },
      maxBuffer: 64 * 1024 * 1024,
    })
  } catch (err) {
    const { stderr } = err as { stderr?: string }
    throw new Error(`go build in test/ferretdb failed:\n${stderr || String(err)}`, { cause: err })
  }
  process.stderr.write(
    `images: FerretDB binary built in ${((performance.now() - started) / 1000).toFixed(1)}s\n`,
  )
}

const ferretdbImage: ImageRecipe = {
  ref: 'levrt-test/ferretdb:1.24',
  keyFiles: () => ['main.go', 'go.mod', 'go.sum'].map((f) => resolve(FERRETDB_DIR, f)),
  changes: ['ENV LISTEN=0.0.0.0:27017 DATA=/data', 'EXPOSE 27017/tcp', 'ENTRYPOINT ["/ferretdb"]'],
  prepare: buildFerretdb,
  rootfs: () => [file('/ferretdb', FERRETDB_BIN, 0o755), dir('/data', 0o777), dir('/tmp', 0o1777)],
}

// ---------------------------------------------------------------------------------------------
// levrt/debian:bookworm and the tool images built FROM it

const debianImage: DebianRecipe = { ref: 'levrt/debian:bookworm', suite: 'bookworm', variant: 'minbase' }

/** One folder under images/ per image; each is keyed on its folder and the base image's id. */
const toolImages: DockerfileRecipe[] = [
  { ref: 'levkit/nmap:1.0', dir: resolve(ROOT, 'images/nmap') },
  { ref: 'levkit/nginx:1.0', dir: resolve(ROOT, 'images/nginx') },
  { ref: 'levkit/redis:1.0', dir: resolve(ROOT, 'images/redis') },
]

/** Test only: a musl-based image FROM scratch (no node, no glibc) for entries in any image. */
const testToolImages: DockerfileRecipe[] = [{ ref: 'levrt-test/musl:1.0', dir: resolve(ROOT, 'images/musl') }]

// ---------------------------------------------------------------------------------------------

function report(r: ImageResult): void {
  const mb = (r.size / 1e6).toFixed(1)
  process.stderr.write(
    `images: ${r.ref.padEnd(26)} ${r.status.padEnd(10)} ${mb.padStart(6)} MB  ${r.seconds.toFixed(1)}s\n`,
  )
}

async function main(argv: string[]): Promise<void> {
  const unknown = argv.filter((a) => a !== '--test')
  if (unknown.length) throw new Error(`unknown argument(s): ${unknown.join(' ')} (usage: images.ts [--test])`)
  const docker = connectDocker()
  for (const recipe of [busyboxImage, nodeImage]) report(await ensureImage(docker, recipe, BUILDER_VERSION))
  report(await ensureDebian(docker, debianImage, BUILDER_VERSION))
  for (const recipe of toolImages) report(await ensureDockerfileImage(docker, recipe, BUILDER_VERSION))
  if (argv.includes('--test')) {
    report(await ensureImage(docker, ferretdbImage, BUILDER_VERSION))
    for (const recipe of testToolImages) report(await ensureDockerfileImage(docker, recipe, BUILDER_VERSION))
  }
}

main(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(`images: FAILED: ${err.message}\n`)
  process.exit(1)
})
