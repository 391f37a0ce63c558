/** Counters behind run names like compose's `nmap-1`, `nmap-2`: one set per context. */
export class RunNames {
  private readonly counters = new Map<string, number>()

  /** `levkit/nmap:1.0` -> `nmap-<n>`: the image's last path segment without tag or digest. */
  next(image: string): string {
    const repo = image.startsWith('sha256:') ? 'image' : image.split('@')[0].replace(/:[^/:]*$/, '')
    const base = repo.slice(repo.lastIndexOf('/') + 1) || 'run'
    const n = (this.counters.get(base) ?? 0) + 1
    this.counters.set(base, n)
    return `${base}-${n}`
  }
}
