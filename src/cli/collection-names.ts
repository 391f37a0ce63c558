import type { CollectionSummary } from '../store'

/** When an ObjectId-like `_id` was made (its first 4 bytes: seconds since 1970). */
export function idTime(id: string): Date | undefined {
  return /^[0-9a-f]{24}$/.test(id) ? new Date(parseInt(id.slice(0, 8), 16) * 1000) : undefined
}

/**
 * The names closest to `wanted`, best first: those that are `wanted` under a namespace
 * (`lab|newuser/nmap@1.0` for `newuser/nmap@1.0`) first, then by edit distance to the whole name
 * or to its last part (after the namespace), within a third of the name's length.
 */
export function closestNames(wanted: string, names: readonly string[], max = 3): string[] {
  const limit = Math.max(2, Math.floor(wanted.length / 3))
  return names
    .map((name) => {
      const last = name.slice(name.lastIndexOf('|') + 1)
      const score = name.endsWith(`|${wanted}`)
        ? 0
        : Math.min(distance(wanted, name), distance(wanted, last)) + 1
      return { name, score }
    })
    .filter(({ score }) => score <= limit + 1)
    .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name))
    .slice(0, max)
    .map(({ name }) => name)
}

/** What `levrt find` says of a collection that does not exist: undefined when it does. */
export function missingCollection(wanted: string, all: readonly CollectionSummary[]): string | undefined {
  if (all.some((c) => c.name === wanted)) return undefined
  const close = closestNames(
    wanted,
    all.map((c) => c.name),
  )
  const hint = close.length ? `; did you mean ${close.map((n) => `'${n}'`).join(', ')}?` : ''
  return `no collection ${wanted}${hint} (\`levrt ls\` lists them)`
}

/** Levenshtein distance (two rows). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = row
  }
  return prev[b.length]
}
