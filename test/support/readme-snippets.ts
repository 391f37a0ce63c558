/**
 * The ```ts blocks of a markdown page, and whether each still matches the examples/ file it
 * comes from, so that a README snippet cannot drift from code that the tests run.
 *
 * A block is either verbatim text of some examples file, or an excerpt: its first line names
 * the file (`// examples/foo.ts`), and the rest, split at `// ...` lines, is pieces of that file
 * in order. A piece matches when its lines, trimmed, are consecutive lines of the file, trimmed
 * (an excerpt is shown dedented out of its function).
 */
export interface Snippet {
  /** 1-based line of the opening fence in the page. */
  readonly line: number
  readonly text: string
  /** The file an excerpt names (`examples/foo.ts`), or undefined for a verbatim block. */
  readonly excerptOf?: string
}

const FENCE = /^```ts\s*$/
const MARKER = /^\/\/ (examples\/[\w.-]+\.ts)\s*$/
const ELISION = '// ...'

export function tsSnippets(markdown: string): Snippet[] {
  const lines = markdown.split('\n')
  const found: Snippet[] = []
  for (let i = 0; i < lines.length; i++) {
    if (!FENCE.test(lines[i])) continue
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'))
    if (end < 0) throw new Error(`line ${i + 1}: a \`\`\`ts block that never closes`)
    const body = lines.slice(i + 1, end)
    const marker = MARKER.exec(body[0] ?? '')
    found.push(
      marker
        ? { line: i + 1, text: body.slice(1).join('\n'), excerptOf: marker[1] }
        : { line: i + 1, text: body.join('\n') },
    )
    i = end
  }
  return found
}

/** Whether `snippet` matches `source` (the named file's text for an excerpt; any file otherwise). */
export function matches(snippet: Snippet, source: string): boolean {
  if (!snippet.excerptOf) return source.includes(snippet.text)
  const file = source.split('\n').map((l) => l.trim())
  const pieces: string[][] = [[]]
  for (const line of snippet.text.split('\n')) {
    if (line.trim() === ELISION) pieces.push([])
    else pieces[pieces.length - 1].push(line.trim())
  }
  let from = 0
  for (const piece of pieces) {
    const at = findRun(file, piece, from)
    if (piece.length === 0 || at < 0) return false
    from = at + piece.length
  }
  return true
}

function findRun(lines: readonly string[], run: readonly string[], from: number): number {
  for (let i = from; i + run.length <= lines.length; i++)
    if (run.every((l, k) => lines[i + k] === l)) return i
  return -1
}
