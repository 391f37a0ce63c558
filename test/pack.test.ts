import { execFile } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { containersOfRun } from './support/engine'
import { writeOfflineProject } from './support/offline-project'

const exec = promisify(execFile)
const ROOT = resolve(__dirname, '..')

/**
 * A user's first day: `npm pack` of this repository, installed into a fresh folder outside it
 * (offline: from the local npm cache, see writeOfflineProject; better-sqlite3 is compiled
 * against this node's own headers), then the first workflow (examples/first-workflow.ts) runs
 * as a user runs it, with `npx levrt run` and `npx tsx`, and `npx levrt find` reads it back.
 */
describe('levrt installed from its npm pack tarball into a fresh project', () => {
  let project: string
  let home: string
  beforeAll(async () => {
    await exec('npm', ['run', 'build'], { cwd: ROOT })
    project = mkdtempSync(join(tmpdir(), 'levrt-first-day-'))
    home = mkdtempSync(join(tmpdir(), 'levrt-first-day-home-'))
    await exec('npm', ['pack', '--pack-destination', project], { cwd: ROOT })
    const tarball = join(
      project,
      readdirSync(project).find((f) => f.endsWith('.tgz'))!,
    )
    writeOfflineProject(ROOT, tarball, project)
    const headers = join(dirname(process.execPath), '..', 'include', 'node')
    const nodedir = existsSync(headers) ? { npm_config_nodedir: join(headers, '..', '..') } : {}
    await exec('npm', ['ci', '--offline', '--no-audit', '--no-fund'], {
      cwd: project,
      env: { ...process.env, ...nodedir },
    })
    // The README's first workflow, as the installed package ships it.
    copyFileSync(
      join(project, 'node_modules/levrt/examples/first-workflow.ts'),
      join(project, 'first-workflow.ts'),
    )
  }, 900_000)
  afterAll(() => {
    for (const dir of [project, home]) if (dir) rmSync(dir, { recursive: true, force: true })
  })

  const npx = (...args: string[]) =>
    exec('npx', ['--offline', ...args], {
      cwd: project,
      env: { ...process.env, LEV_HOME: home, LEV_MONGO_URL: '', LEVRT_LOG: 'plain' },
    })

  it('runs the first workflow with levrt run and with tsx, and levrt find reads both runs back', async () => {
    const run = await npx('levrt', 'run', 'first-workflow.ts', 'resolve', '--param', 'target=localhost')
    expect(JSON.parse(run.stdout)).toMatchObject({ target: 'localhost', address: '127.0.0.1' })
    expect(run.stderr).toMatch(/^resolve-localhost -- exited 0/m)
    const tsx = await npx('tsx', 'first-workflow.ts', 'localhost')
    expect(tsx.stdout).toContain("target: 'localhost'")
    const found = await npx(
      'levrt',
      'find',
      'firstday/resolve@1.0',
      '--projection',
      '{"target": 1, "_lev.name": 1}',
    )
    const docs = found.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { _id: string; target: string; _lev: { name: string } })
    expect(docs.map((d) => [d.target, d._lev.name])).toEqual([
      ['localhost', 'resolve-localhost'],
      ['localhost', 'resolve-localhost'],
    ])
    for (const d of docs) expect(await containersOfRun(d._id)).toEqual([])
    const ls = await npx('levrt', 'ls')
    expect(ls.stdout).toMatch(/^firstday\/resolve@1\.0\s+2\s/m)
  }, 300_000)
})
