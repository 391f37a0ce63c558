import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useStore } from './support/env'

const run = promisify(execFile)

/**
 * Entries from real user scripts under ts-node, importing 'levrt' by name (the built package):
 * an ES module, and CommonJS compiled for ES5, whose async entry becomes TypeScript helpers.
 */
describe('entries whatever the module system and target', () => {
  let env: ReturnType<typeof useStore>
  beforeAll(() => {
    env = useStore('embedded')
  })
  afterAll(() => env.restore())

  it('an ES module script under ts-node/esm', async () => {
    const { stdout } = await run(
      'node',
      ['--no-warnings', '--loader', 'ts-node/esm', 'test/fixtures/esm-entry.mts'],
      {
        env: { ...process.env, TS_NODE_PROJECT: 'test/fixtures/tsconfig.esm.json' },
      },
    )
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({
      target: 'esm.example',
      module: 'has require',
    })
  })

  it('a CommonJS script compiled for ES5, type-checked by ts-node', async () => {
    const { stdout } = await run('node', ['-r', 'ts-node/register', 'test/fixtures/cjs-es5-entry.ts'], {
      env: { ...process.env, TS_NODE_PROJECT: 'test/fixtures/tsconfig.cjs-es5.json' },
    })
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({
      source: 'downleveled',
      stored: { target: 'cjs.example', found: ['cjs.example:80'] },
    })
  })
})
