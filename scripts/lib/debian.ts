/**
 * The Debian base image: debootstrap into a temp folder, a few files that make apt work (and stay
 * small) in containers, then the tree streamed as a tar into the engine's import API.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type Dockerode from 'dockerode'
import { aptSources, renderSources, type AptSource } from './apt-sources'
import { ensureKeyed, importTar, KEY_LABEL, type ImageResult } from './image'
import { lines, run } from './proc'

export interface DebianRecipe {
  /** e.g. `levrt/debian:bookworm` */
  ref: string
  suite: string
  variant: 'minbase'
}

/**
 * Docs, man pages and translations: dead weight in tool images (a third of the tree). Their
 * files go, and later installs leave them out; copyright files stay, as Debian asks.
 */
const PRUNED = ['/usr/share/doc', '/usr/share/man', '/usr/share/info', '/usr/share/locale']
const KEPT = ['/usr/share/doc/*/copyright', '/usr/share/locale/locale.alias']

/** Files written into the tree after debootstrap; part of the key, so editing one rebuilds. */
const EXTRA_FILES: Record<string, { text: string; mode: number }> = {
  // Package installs must not start daemons in a build container (see invoke-rc.d(8)).
  '/usr/sbin/policy-rc.d': { text: '#!/bin/sh\nexit 101\n', mode: 0o755 },
  // Layers stay small: no binary caches, no downloaded .debs after install, no translations.
  '/etc/apt/apt.conf.d/90levrt-small': {
    text: 'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\nAPT::Keep-Downloaded-Packages "false";\nAcquire::Languages "none";\n',
    mode: 0o644,
  },
  '/etc/dpkg/dpkg.cfg.d/90levrt-nodoc': {
    text: [...PRUNED.map((d) => `path-exclude=${d}/*`), ...KEPT.map((p) => `path-include=${p}`), ''].join(
      '\n',
    ),
    mode: 0o644,
  },
}

/** Copied from the host by debootstrap; the engine provides its own in every container. */
const HOST_FILES = ['/etc/resolv.conf', '/etc/hostname']

const CHANGES = ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'CMD ["bash"]']

/** Per-package lines of debootstrap: hundreds of them, so they are not shown. */
const PER_PACKAGE =
  /^I: (?:(?:Retrieving|Validating) \S+ \d\S*|(?:Extracting|Unpacking|Configuring) \S+\.\.\.)$/

function debootstrapBinary(): string {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin']
  const found = dirs
    .filter(Boolean)
    .map((d) => join(d, 'debootstrap'))
    .find((p) => existsSync(p))
  if (!found)
    throw new Error(
      'debootstrap not found (Debian/Ubuntu: apt-get install debootstrap; scripts/setup.sh does it as root)',
    )
  return found
}

async function hostArch(): Promise<string> {
  return (await run('dpkg', ['--print-architecture'])).trim()
}

async function debootstrap(
  recipe: DebianRecipe,
  arch: string,
  mirror: AptSource,
  target: string,
): Promise<void> {
  const include = mirror.uri.startsWith('https:') ? ['--include=ca-certificates'] : []
  const args = [
    `--variant=${recipe.variant}`,
    `--arch=${arch}`,
    '--components=main',
    ...include,
    recipe.suite,
    target,
    mirror.uri,
  ]
  process.stderr.write(`images: debootstrap ${args.join(' ')} (first time ~1-3 min)\n`)
  const child = spawn(debootstrapBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const show = (line: string) =>
    PER_PACKAGE.test(line) || process.stderr.write(`images:   debootstrap | ${line}\n`)
  lines(child.stdout, show)
  lines(child.stderr, show)
  const code = await new Promise<number | null>((resolve, reject) =>
    child.once('error', reject).once('close', resolve),
  )
  if (code !== 0) {
    const log = await readFile(join(target, 'debootstrap/debootstrap.log'), 'utf8').catch(() => '')
    throw new Error(
      `debootstrap exited with ${code}${log ? `; the end of its log:\n${log.split('\n').slice(-25).join('\n')}` : ''}`,
    )
  }
}

/** Deletes what PRUNED names, but KEPT; directories stay, since some postinst scripts expect them. */
async function pruneTree(root: string): Promise<void> {
  const dirs = PRUNED.map((d) => join(root, d)).filter((d) => existsSync(d))
  const kept = KEPT.flatMap((p) => ['!', '-path', join(root, p)])
  if (dirs.length)
    await run('find', [...dirs, '(', '-type', 'f', '-o', '-type', 'l', ')', ...kept, '-delete'])
}

/** Sources pointing at the host's mirror, the extra files, and no apt lists or caches. */
async function finishTree(root: string, sources: AptSource[]): Promise<void> {
  const at = (path: string) => join(root, path)
  if (!existsSync(at('/usr/share/keyrings/debian-archive-keyring.gpg')))
    throw new Error('the new tree has no debian-archive-keyring.gpg')
  await rm(at('/etc/apt/sources.list'), { force: true })
  await writeFile(at('/etc/apt/sources.list.d/debian.sources'), renderSources(sources))
  for (const [path, { text, mode }] of Object.entries(EXTRA_FILES)) {
    await mkdir(join(at(path), '..'), { recursive: true })
    await writeFile(at(path), text, { mode })
  }
  for (const path of HOST_FILES) await rm(at(path), { force: true })
  await pruneTree(root)
  for (const dir of ['/var/lib/apt/lists', '/var/cache/apt']) {
    await rm(at(dir), { recursive: true, force: true })
    await mkdir(at(dir), { recursive: true })
  }
  await mkdir(at('/var/lib/apt/lists/partial'), { recursive: true })
  await mkdir(at('/var/cache/apt/archives/partial'), { recursive: true })
}

/** Streams the tree (no device nodes, /proc, /sys contents) into the engine as `ref`. */
async function importTree(docker: Dockerode, root: string, ref: string, changes: string[]): Promise<void> {
  const args = [
    '-C',
    root,
    '-c',
    '--numeric-owner',
    '--one-file-system',
    '--xattrs',
    '--xattrs-include=security.capability',
  ]
  const tar = spawn('tar', [...args, '--exclude=./dev/*', '--exclude=./proc/*', '--exclude=./sys/*', '.'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  tar.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((resolve, reject) =>
    tar.once('error', reject).once('close', resolve),
  )
  await importTar(docker, tar.stdout, ref, changes)
  const code = await exited
  if (code !== 0) {
    // The engine took whatever arrived: that image must not pass for a good one.
    await docker
      .getImage(ref)
      .remove()
      .catch(() => {})
    throw new Error(`tar of ${root} exited with ${code}: ${stderr.trim()}`)
  }
}

/** debootstrap leaves /proc (and more) mounted in the tree when it fails part-way. */
async function removeTree(root: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[4]?.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((m): m is string => !!m && m.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length)
  for (const m of mounts) await run('umount', ['-l', m]).catch(() => {})
  // --one-file-system: never walk into anything still mounted there.
  await run('rm', ['-rf', '--one-file-system', root])
}

/** Builds the base image unless one made from the same recipe and mirror is there. */
export async function ensureDebian(
  docker: Dockerode,
  recipe: DebianRecipe,
  version: string,
): Promise<ImageResult> {
  const arch = await hostArch()
  const sources = aptSources(recipe.suite)
  const key = createHash('sha256')
    .update(
      JSON.stringify({ version, recipe, arch, sources, EXTRA_FILES, HOST_FILES, CHANGES, PRUNED, KEPT }),
    )
    .digest('hex')
  return ensureKeyed(docker, recipe.ref, key, async () => {
    if (process.getuid?.() !== 0) throw new Error(`building ${recipe.ref} runs debootstrap, which needs root`)
    const root = await mkdtemp(join(tmpdir(), 'levrt-debootstrap-'))
    try {
      await debootstrap(recipe, arch, sources[0], root)
      await finishTree(root, sources)
      process.stderr.write(`images: importing the ${recipe.suite} tree into the engine as ${recipe.ref}\n`)
      await importTree(docker, root, recipe.ref, [...CHANGES, `LABEL ${KEY_LABEL}=${key}`])
    } finally {
      // A leftover temp tree must not hide the build's own outcome.
      await removeTree(root).catch((err: Error) =>
        process.stderr.write(`images: WARNING: could not remove ${root}: ${err.message}\n`),
      )
    }
  })
}
