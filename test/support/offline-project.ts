import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'

interface LockEntry {
  readonly version: string
  readonly resolved?: string
  readonly dev?: boolean
  readonly link?: boolean
  readonly [field: string]: unknown
}

/**
 * A fresh project's package.json and package-lock.json that depend on a levrt tarball, with the
 * rest of the tree copied from levrt's own lock (its production packages, at the same paths), so
 * that `npm ci --offline` installs it from the local npm cache by integrity, with no registry
 * metadata needed. Entries written without `resolved` get the registry's usual tarball address
 * (the cache knows the tarball by it and by its integrity).
 */
export function writeOfflineProject(repo: string, tarball: string, dir: string): void {
  const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>
  }
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as Record<string, unknown>
  const dep = `file:${relative(dir, tarball)}`
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`
  const packages: Record<string, unknown> = {
    '': { name: 'first-day', version: '1.0.0', dependencies: { levrt: dep } },
    'node_modules/levrt': {
      version: pkg.version,
      resolved: dep,
      integrity,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  }
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path || entry.dev || entry.link) continue
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)
    const resolved =
      entry.resolved ?? `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${entry.version}.tgz`
    packages[path] = { ...entry, resolved }
  }
  const project = { name: 'first-day', version: '1.0.0', private: true, dependencies: { levrt: dep } }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(project, null, 2)}\n`)
  const lockfile = { name: 'first-day', version: '1.0.0', lockfileVersion: 3, requires: true, packages }
  writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify(lockfile, null, 2)}\n`)
}
