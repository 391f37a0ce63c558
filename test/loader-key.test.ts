import { execFile } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { levrtObjects } from './support/engine'
import { useStore } from './support/env'

const run = promisify(execFile)

/**
 * The run key does not depend on the loader: one workflow file (importing 'levrt', the built
 * package) under tsx, under ts-node, and compiled to JavaScript by TypeScript beforehand.
 */
const FIXTURE = 'test/fixtures/loader-key.ts'
// Beside the fixture, so that 'levrt' resolves to this package as it does for the .ts file.
const COMPILED = `test/fixtures/loader-key-compiled-${process.pid}.js`

const LOADERS: Record<string, readonly string[]> = {
  tsx: [require.resolve('tsx/cli'), FIXTURE],
  'ts-node': ['-r', 'ts-node/register/transpile-only', FIXTURE],
  'compiled JS': [COMPILED],
}

async function runUnder(
  loader: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ key: string; reused: boolean; stderr: string }> {
  const { stdout, stderr } = await run(process.execPath, [...LOADERS[loader]], {
    env: { ...process.env, TS_NODE_PROJECT: 'tsconfig.json', LEV_GC: 'off', ...env },
  })
  const { key, reused } = JSON.parse(stdout.trim().split('\n').pop()!) as { key: string; reused: boolean }
  return { key, reused, stderr }
}

describe('the run key whatever the loader', () => {
  let env: ReturnType<typeof useStore>
  let before: Awaited<ReturnType<typeof levrtObjects>>
  beforeAll(async () => {
    env = useStore('embedded')
    before = await levrtObjects()
    const { outputText } = ts.transpileModule(readFileSync(FIXTURE, 'utf8'), {
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.CommonJS,
        esModuleInterop: true,
      },
    })
    writeFileSync(join(__dirname, '..', COMPILED), outputText)
  })
  afterAll(async () => {
    rmSync(join(__dirname, '..', COMPILED), { force: true })
    expect(await levrtObjects()).toEqual(before)
    env.restore()
  })

  it('is the same under tsx, ts-node and compiled JS, so --resume finds a run made with another loader', async () => {
    // Nothing stored yet: --resume (LEVRT_REUSE=1) says which key it looked for, and runs.
    const first = await runUnder('ts-node', { LEVRT_REUSE: '1' })
    expect(first.reused).toBe(false)
    expect(first.stderr).toContain(
      `levrt: --resume: no earlier successful run in loaderkey/probe@1.0 with key ${first.key}: running it`,
    )
    const others = [await runUnder('tsx'), await runUnder('compiled JS')]
    expect(others.map((r) => r.key)).toEqual([first.key, first.key])
    for (const loader of ['tsx', 'compiled JS']) {
      expect(await runUnder(loader, { LEVRT_REUSE: '1' })).toMatchObject({
        key: first.key,
        reused: true,
        stderr: '',
      })
    }
  }, 180_000)
})
