import { posix } from 'node:path'
import type { PlanMount } from './plan'
import type { Problems } from './problems'
import { BIND, DOCKER_SOCKET, FLAG_OVER_SYSTEM } from './reasons'
import type { ComposeService } from './schema'

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/
/** Where a flag folder would hide what the container runs on. */
const SYSTEM = ['/bin', '/sbin', '/usr', '/lib', '/lib32', '/lib64', '/etc', '/proc', '/sys', '/dev']

/** The seed's rule: a volume whose name contains "flag" receives the flag. */
export function isFlagVolume(name: string): boolean {
  return name.toLowerCase().includes('flag')
}

/** A service's mounts; anonymous volumes (`- /var/lib/mysql`) become volumes of their own, in `anonymous`. */
export function mountsOf(
  name: string,
  s: ComposeService,
  declared: ReadonlySet<string>,
  anonymous: string[],
  problems: Problems,
): PlanMount[] {
  const at = `services.${name}`
  const mounts: PlanMount[] = []
  const anonymousVolume = (target: string): PlanMount => {
    // Named after the service; never a name the file declares.
    let volume = `${name}.anon${anonymous.length}`
    while (declared.has(volume)) volume += '_'
    anonymous.push(volume)
    return { kind: 'volume', volume, target, readOnly: false }
  }
  ;(s.volumes ?? []).forEach((v, i) => {
    const path = `${at}.volumes[${i}]`
    if (typeof v !== 'string' && v.type === 'tmpfs') return mounts.push({ kind: 'tmpfs', target: v.target })
    let source: string | undefined
    let target: string
    let readOnly: boolean
    if (typeof v === 'string') {
      const parts = v.split(':')
      // "/path[:ro]" alone is an anonymous volume; "/host:/path" a bind mount (refused below).
      const alone = parts.length === 1 || !parts[1].startsWith('/')
      if (alone) [source, target, readOnly] = [undefined, parts[0], parts[1] === 'ro']
      else [source, target, readOnly] = [parts[0], parts[1], parts[2] === 'ro']
    } else {
      ;[source, target, readOnly] = [v.source, v.target, v.read_only ?? false]
    }
    if (source === undefined) return mounts.push(anonymousVolume(target))
    if (source.includes('docker.sock')) return problems.add(path, DOCKER_SOCKET)
    if (!VOLUME_NAME.test(source)) return problems.add(path, BIND)
    if (!declared.has(source)) {
      return problems.add(
        path,
        `volume ${JSON.stringify(source)} is not declared: add "${source}:" under the top-level volumes`,
      )
    }
    if (!isFlagVolume(source)) return mounts.push({ kind: 'volume', volume: source, target, readOnly })
    const normal = posix.normalize(target).replace(/\/+$/, '') || '/'
    if (normal === '/' || SYSTEM.some((d) => normal === d || normal.startsWith(`${d}/`)))
      return problems.add(path, FLAG_OVER_SYSTEM)
    mounts.push({ kind: 'flag', target })
  })
  const tmpfs = typeof s.tmpfs === 'string' ? [s.tmpfs] : (s.tmpfs ?? [])
  for (const t of tmpfs) mounts.push({ kind: 'tmpfs', target: t.split(':')[0] })
  const targets = mounts.map((m) => m.target)
  const twice = targets.find((t, i) => targets.indexOf(t) !== i)
  if (twice) problems.add(at, `two mounts at ${twice}: keep one`)
  return mounts
}
