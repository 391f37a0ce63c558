import { execFileSync, spawn } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir } from './support'

/**
 * `levrt envd check` as an author or an operator runs it: the built bin in a child process,
 * over the author fixtures (and a data folder, as a create names files). It starts nothing.
 */

const ROOT = resolve(__dirname, '../..')
const BIN = join(ROOT, 'dist/cli/levrt.js')
const AUTHORS = resolve(__dirname, '../fixtures/envd/authors')

beforeAll(() => {
  const newest = (dir: string): number =>
    Math.max(
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
      ),
    )
  if (!existsSync(BIN) || newest(join(ROOT, 'src')) > statSync(BIN).mtimeMs)
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' })
}, 180_000)

interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

function levrt(args: readonly string[], cwd = AUTHORS): Promise<Result> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')))
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')))
  return new Promise((done) => child.once('close', (code) => done({ code, stdout, stderr })))
}

const jsonLines = (r: Result) =>
  r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>)

describe('levrt envd check', () => {
  let data: string
  beforeAll(() => {
    data = mkdtempSync(join(tmpdir(), 'levrt-envd-check-'))
    cpSync(AUTHORS, join(data, 'compose'), { recursive: true })
  })
  afterAll(() => removeDir(data))

  it('says what an accepted file would run, and exits 0', async () => {
    const r = await levrt(['envd', 'check', 'healthy', 'limits/docker-compose.yaml', 'flag-env'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('healthy/docker-compose.yml: accepted\n  exposed: app 8080/tcp\n')
    expect(r.stdout).toContain(
      '  service app: levrt-test/author-busybox:1.0; healthcheck gates CREATED; waits for db (service_healthy); waits for seed (service_completed_successfully)',
    )
    expect(r.stdout).toContain(
      '  service small: levrt-test/author-busybox:1.0\n    limits: cpus 0.25, memory 32m, pids 50, shm 32m, nofile 1024:2048',
    )
    expect(r.stdout).toContain(
      '  service greedy: levrt-test/author-busybox:1.0\n    limits: cpus 0.5, memory 256m, pids 100\n',
    )
    expect(r.stdout).toMatch(
      /flag: pwn:\/home\/ctf\/flag\/flag \(flag volume\), pwn \$SECOND_FLAG \(environment variable\), pwn \$FLAG/,
    )
    expect(r.stderr).toBe('levrt envd check: 3 accepted, 0 refused\n')
  })

  it('lists every problem of a refused file, and exits 1', async () => {
    const r = await levrt(['envd', 'check', 'refused/many.yaml', 'interpolation'])
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('refused/many.yaml: refused, 11 problems\n')
    expect(r.stdout).toContain('  - services.worker.image: image is required')
    expect(r.stdout).toContain('interpolation/docker-compose.yaml: accepted')
    expect(r.stderr).toBe('levrt envd check: 1 accepted, 1 refused\n')
  })

  it('over a folder checks every compose file under it; --json gives one object per file', async () => {
    const r = await levrt(['envd', 'check', '--json', '.'])
    expect(r.code).toBe(0)
    const byFile = Object.fromEntries(jsonLines(r).map((o) => [o.file, o]))
    expect(Object.keys(byFile).sort()).toEqual([
      'flag-env/docker-compose.yaml',
      'healthy/docker-compose.yml',
      'interpolation/docker-compose.yaml',
      'limits/docker-compose.yaml',
      'unhealthy/docker-compose.yml',
    ])
    expect(byFile['limits/docker-compose.yaml']).toMatchObject({
      accepted: true,
      exposed: 'small 80/tcp',
      services: [
        { name: 'small', limits: { nanoCpus: 0.25e9, memoryBytes: 32 * 1024 ** 2, pids: 50 } },
        { name: 'greedy' },
      ],
    })
    const refused = await levrt([
      'envd',
      'check',
      '--json',
      'refused/ports-strings.yaml',
      'refused/jail.yaml',
    ])
    expect(jsonLines(refused)).toEqual([
      {
        file: 'refused/ports-strings.yaml',
        accepted: false,
        problems: [
          { path: 'services.web.ports[0]', reason: expect.stringContaining('from 1 to 65535') },
          { path: 'services.db.ports[0]', reason: expect.stringContaining('from 1 to 65535') },
        ],
      },
      {
        file: 'refused/jail.yaml',
        accepted: false,
        problems: [{ path: 'services.chall.privileged', reason: expect.stringContaining('socat or xinetd') }],
      },
    ])
    expect(refused.code).toBe(1)
  })

  it('with --data names files as a create does, and holds limits to the given caps', async () => {
    const r = await levrt(
      ['envd', 'check', '--data', data, '--memory', '16m', '--json', 'limits', 'refused/flag-root.yaml'],
      ROOT,
    )
    const [limits, flagRoot] = jsonLines(r)
    expect(limits).toMatchObject({ file: 'limits/docker-compose.yaml', accepted: true })
    expect(limits.services.map((s: any) => s.limits.memoryBytes)).toEqual([16 * 1024 ** 2, 16 * 1024 ** 2])
    expect(flagRoot).toMatchObject({ file: 'refused/flag-root.yaml', accepted: false })
    expect(r.code).toBe(1)
  })

  it('exits 2 on a usage error, having checked nothing', async () => {
    for (const args of [
      ['envd', 'check'],
      ['envd', 'check', 'no-such-file.yaml'],
      ['envd', 'check', '--cpus', 'lots', 'healthy'],
    ]) {
      const r = await levrt(args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stdout, args.join(' ')).toBe('')
    }
    const r = await levrt(['envd', 'check', 'no-such-file.yaml'])
    expect(r.stderr).toContain('no-such-file.yaml: no such file or folder')
  })
})
