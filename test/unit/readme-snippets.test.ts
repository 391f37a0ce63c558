import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { matches, tsSnippets } from '../support/readme-snippets'

const ROOT = resolve(__dirname, '../..')
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')
const README = read('README.md')
const EXAMPLES = readdirSync(join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => `examples/${f}`)
/** The tests that run examples files against the real engine. */
const RUNNERS = ['test/examples.test.ts', 'test/pack.test.ts'].map(read).join('\n')

describe("the README's snippets are examples files that tests run", () => {
  const snippets = tsSnippets(README)

  it('finds the README ```ts blocks', () => {
    expect(snippets.length).toBeGreaterThan(5)
  })

  it.each(snippets.map((s) => [s.line, s] as const))('the block at README line %i', (_line, snippet) => {
    const sources = snippet.excerptOf
      ? [snippet.excerptOf]
      : EXAMPLES.filter((f) => matches(snippet, read(f)))
    if (snippet.excerptOf) {
      expect(EXAMPLES, `${snippet.excerptOf} is not an examples file`).toContain(snippet.excerptOf)
      expect(matches(snippet, read(snippet.excerptOf)), `not (or no longer) in ${snippet.excerptOf}`).toBe(
        true,
      )
    } else {
      expect(sources, 'verbatim in no examples/*.ts file').not.toEqual([])
    }
    // Each file a snippet comes from is run by a test (and type-checked: tsconfig includes examples).
    for (const file of sources)
      expect(RUNNERS, `no test runs ${file}`).toContain(file.slice('examples/'.length))
  })

  it('tsconfig type-checks the examples, and the package ships them', () => {
    expect((JSON.parse(read('tsconfig.json')) as { include: string[] }).include).toContain('examples')
    expect((JSON.parse(read('package.json')) as { files: string[] }).files).toContain('examples')
  })

  it("the user-facing part names none of this repository's scripts but the two set-up commands", () => {
    const body = README.slice(README.indexOf('## Use levrt in your project'), README.indexOf('\n## Tests\n'))
    expect(body).not.toMatch(/npm (run|test|ci)\b|scripts\//)
  })
})

describe('snippet matching', () => {
  const file = 'async function main() {\n  const a = 1\n  const b = 2\n  const c = 3\n}\n'

  it('verbatim blocks must be exact text', () => {
    expect(matches({ line: 1, text: '  const a = 1\n  const b = 2' }, file)).toBe(true)
    expect(matches({ line: 1, text: 'const a = 1\nconst b = 2' }, file)).toBe(false)
  })

  it('excerpts match dedented, in order, with `// ...` for skipped lines', () => {
    const excerpt = (text: string) => ({ line: 1, text, excerptOf: 'examples/x.ts' })
    expect(matches(excerpt('const a = 1\nconst b = 2'), file)).toBe(true)
    expect(matches(excerpt('const a = 1\n// ...\nconst c = 3'), file)).toBe(true)
    expect(matches(excerpt('const a = 1\nconst c = 3'), file)).toBe(false)
    expect(matches(excerpt('const c = 3\n// ...\nconst a = 1'), file)).toBe(false)
    expect(matches(excerpt('const a = 2'), file)).toBe(false)
  })

  it('reads fences and markers', () => {
    const page = 'x\n```ts\n// examples/a.ts\nconst a = 1\n```\n```sh\nls\n```\n```ts\nlet b\n```\n'
    expect(tsSnippets(page)).toEqual([
      { line: 2, text: 'const a = 1', excerptOf: 'examples/a.ts' },
      { line: 9, text: 'let b' },
    ])
  })
})
