import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LABEL } from '../src/docker/labels'
import { EmbeddedStore } from '../src/store/embedded'
import { docker } from './support/engine'

const ROOT = resolve(__dirname, '..')
const BIN = join(ROOT, 'dist/cli/levrt.js')
const home = mkdtempSync(join(tmpdir(), 'levrt-closed-'))

beforeAll(() => {
  if (!existsSync(BIN)) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' })
}, 180_000)
afterAll(() => rmSync(home, { recursive: true, force: true }))

/** Runs `levrt run` with its stdout and stderr into a reader that stops after `bytes`. */
async function runIntoHead(
  stream: 'stdout' | 'stderr',
  bytes: number,
): Promise<{ code: number | null; pid: number }> {
  const env: NodeJS.ProcessEnv = { ...process.env, LEV_HOME: home, LEV_GC: 'off', LEVRT_LOG: 'plain' }
  delete env.LEV_MONGO_URL
  const child = spawn(process.execPath, [BIN, 'run', 'test/fixtures/closed-stderr-workflow.ts', 'noisy'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  // The reader of one stream takes a few bytes and goes away, like `| head -c N`.
  let taken = 0
  const closing = child[stream]
  closing.on('data', (chunk: Buffer) => {
    taken += chunk.length
    if (taken >= bytes) closing.destroy()
  })
  const other = stream === 'stdout' ? child.stderr : child.stdout
  other.resume()
  const code = await new Promise<number | null>((done) => child.once('close', (c) => done(c)))
  return { code, pid: child.pid! }
}

describe('a reader of the output that goes away', () => {
  for (const stream of ['stderr', 'stdout'] as const) {
    it(`closed ${stream}: the workflow still ends normally, stores its results and leaves nothing running`, async () => {
      const { code, pid } = await runIntoHead(stream, 40)
      expect(code).toBe(0)
      const filters = JSON.stringify({ label: [LABEL.managed, `${LABEL.ownerPid}=${pid}`] })
      expect(await docker.listContainers({ all: true, filters })).toEqual([])
      expect(await docker.listNetworks({ filters })).toEqual([])
      const store = new EmbeddedStore(home)
      expect(await store.collection('clitest/closed@1.0').countDocuments({ done: true })).toBeGreaterThan(0)
    }, 120_000)
  }
})
