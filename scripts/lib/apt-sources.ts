/**
 * Which Debian mirror this machine's apt uses, read from /etc/apt/sources.list and
 * /etc/apt/sources.list.d (one-line `.list` and deb822 `.sources` files), so that images fetch
 * packages from the same place as the host.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface AptSource {
  uri: string
  /** e.g. ['bookworm', 'bookworm-updates'] or ['bookworm-security'] */
  suites: string[]
}

const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg'
const FALLBACK: AptSource[] = [
  { uri: 'http://deb.debian.org/debian', suites: ['SUITE', 'SUITE-updates'] },
  { uri: 'http://deb.debian.org/debian-security', suites: ['SUITE-security'] },
]

function sourceFiles(): string[] {
  const dir = '/etc/apt/sources.list.d'
  const extra = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /\.(list|sources)$/.test(f))
        .sort()
        .map((f) => join(dir, f))
    : []
  return ['/etc/apt/sources.list', ...extra].filter((f) => existsSync(f))
}

/** [uri, suite] pairs of every `deb` entry in the file. */
function entries(path: string): [string, string][] {
  const text = readFileSync(path, 'utf8')
  if (path.endsWith('.list')) {
    return text
      .split('\n')
      .map((l) =>
        l
          .replace(/#.*/, '')
          .replace(/\[[^\]]*\]/, '')
          .trim()
          .split(/\s+/),
      )
      .filter((w) => w[0] === 'deb' && w.length >= 3)
      .map((w) => [w[1], w[2]])
  }
  return text.split(/\n\s*\n/).flatMap((stanza) => {
    const field = (name: string) =>
      new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi')
        .exec(stanza.replace(/^#.*$/gm, ''))?.[1]
        .trim()
        .split(/\s+/) ?? []
    if (!field('Types').includes('deb') || /^Enabled:\s*no/im.test(stanza)) return []
    return field('URIs').flatMap((uri) => field('Suites').map((suite): [string, string] => [uri, suite]))
  })
}

/**
 * The host's sources for `suite` and its -updates/-security suites, grouped by mirror; the first
 * one serves `suite` itself. Falls back to deb.debian.org on a host without one (e.g. Ubuntu).
 */
export function aptSources(suite: string): AptSource[] {
  const wanted = new Set([suite, `${suite}-updates`, `${suite}-security`])
  const byUri = new Map<string, string[]>()
  for (const [uri, s] of sourceFiles().flatMap(entries)) {
    if (!wanted.has(s)) continue
    const suites = byUri.get(uri) ?? []
    if (!suites.includes(s)) suites.push(s)
    byUri.set(uri, suites)
  }
  const found = [...byUri].map(([uri, suites]) => ({ uri: uri.replace(/\/+$/, ''), suites }))
  found.sort((a, b) => Number(b.suites.includes(suite)) - Number(a.suites.includes(suite)))
  if (found[0]?.suites.includes(suite)) return found
  return FALLBACK.map((s) => ({ ...s, suites: s.suites.map((x) => x.replace('SUITE', suite)) }))
}

/** The image's /etc/apt/sources.list.d/debian.sources. */
export function renderSources(sources: AptSource[]): string {
  return sources
    .map(
      (s) =>
        `Types: deb\nURIs: ${s.uri}\nSuites: ${s.suites.join(' ')}\nComponents: main\nSigned-By: ${KEYRING}\n`,
    )
    .join('\n')
}
