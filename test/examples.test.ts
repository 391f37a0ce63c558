import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Cr } from '../src/index'
import { docker } from './support/engine'
import { embeddedStoreLeavingNothing } from './support/env'

const ROOT = resolve(__dirname, '..')

interface Exit {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly pid: number
}

/** Runs a command from the repo root as a user would, with this test's LEV_HOME. */
function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Exit> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, LEVRT_LOG: 'plain', ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.once('error', fail)
    child.once('close', (code) => done({ code, stdout, stderr, pid: child.pid! }))
  })
}

const tsNode = (example: string) => run(resolve(ROOT, 'node_modules/.bin/ts-node'), [`examples/${example}`])
const levrt = (...args: string[]) => run(process.execPath, ['dist/cli/levrt.js', ...args])

/** What the child process left on the engine (its objects carry its pid). */
async function leftBy(pid: number): Promise<number> {
  const filters = JSON.stringify({ label: [`io.levrt.owner.pid=${pid}`] })
  const [c, n] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
  ])
  return c.length + n.length
}

describe('examples, run as a user runs them', () => {
  embeddedStoreLeavingNothing()

  it('quickstart', async () => {
    const out = await tsNode('quickstart.ts')
    expect(out.code, out.stderr).toBe(0)
    expect(out.stdout).toContain("doc.get() → { target: 'example.com', issues: [ 'Some issues' ] }")
    expect(out.stdout).toContain('httpbin|org|ts/issues@1.0')
    expect(await leftBy(out.pid)).toBe(0)
  })

  it('background: a long scan signalled while it runs keeps what it found', async () => {
    const out = await tsNode('background.ts')
    expect(out.code, out.stderr).toBe(0)
    expect(out.stdout).toMatch(/exit code 0 → \{ open: \[ 21, 22[^\]]*\], interrupted: true \}/)
    expect(await leftBy(out.pid)).toBe(0)
  })

  it('files and services: the seed example with a real redis', async () => {
    const out = await tsNode('files-and-services.ts')
    expect(out.code, out.stderr).toBe(0)
    expect(out.stdout).toContain('config: { threads: 4 }')
    expect(out.stdout).toContain('PONG')
    expect(await leftBy(out.pid)).toBe(0)
  })

  it('a concurrent scan of many targets', async () => {
    const out = await tsNode('concurrent-scan.ts')
    expect(out.code, out.stderr).toBe(0)
    for (const n of [1, 2, 3, 4]) expect(out.stdout).toContain(`target ${n} → [ 'target:80/tcp http' ]`)
    expect(await leftBy(out.pid)).toBe(0)
  })

  it('the first workflow: levrt run prints what the run stored, under the name it was given', async () => {
    const out = await levrt('run', 'examples/first-workflow.ts', 'resolve', '--param', 'target=localhost')
    expect(out.code, out.stderr).toBe(0)
    expect(JSON.parse(out.stdout)).toMatchObject({ target: 'localhost', address: '127.0.0.1' })
    expect(out.stderr).toMatch(/^resolve-localhost -- exited 0/m)
    expect(await leftBy(out.pid)).toBe(0)
  })

  it('a lab shared by several steps: background targets linked into capped probes, then stopped', async () => {
    const out = await levrt('run', 'examples/shared-lab.ts', 'lab')
    expect(out.code, out.stderr).toBe(0)
    expect(
      out.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([
      { target: 'web', port: 80, open: true },
      { target: 'web', port: 6379, open: false },
      { target: 'cache', port: 6379, open: true },
    ])
    expect(out.stderr).toMatch(/^web +-- exited 0/m)
    expect(out.stderr).toMatch(/^cache +-- exited 0/m)
    expect(await leftBy(out.pid)).toBe(0)
  })

  it('namespaces: lev.ns, nested, and a Cr keeping the namespace it was made in', async () => {
    const out = await levrt('run', 'examples/namespaces.ts', 'main')
    expect(out.code, out.stderr).toBe(0)
    // levrt run prints each item of the array main() returns as a JSON line.
    expect(
      out.stdout
        .trim()
        .split('\n')
        .slice(-5)
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([
      'demo/hello@1.0',
      'x|demo/hello@1.0',
      'httpbin|org|demo/hello@1.0',
      'a|b|demo/hello@1.0',
      'y|demo/hello@1.0',
    ])
  })

  it('history: the same key, previous(), changes() and reuse', async () => {
    const out = await levrt('run', 'examples/history.ts', 'main')
    expect(out.code, out.stderr).toBe(0)
    expect(out.stdout).toMatch(/^true\ntrue\n[\s\S]*'banner'[\s\S]*\ntrue true\n/)
    expect(out.stderr).toMatch(/reused/)
  })

  it('limits and errors: a recorded exit code, an OptionsError, an idle TimeoutError, a RecordError', async () => {
    const out = await levrt('run', 'examples/limits-and-errors.ts', 'main')
    expect(out.code, out.stderr).toBe(0)
    expect(out.stdout).toContain('3 false ExitCode')
    expect(out.stdout).toContain('LEV_INVALID_OPTION ports[1]')
    expect(out.stdout).toContain('LEV_TIMEOUT idle { step: 1 }')
    expect(out.stdout).toContain('LEV_BAD_RECORD line 1')
    expect(await leftBy(out.pid)).toBe(0)
  })

  it('contexts: two stores side by side share nothing', async () => {
    const out = await levrt('run', 'examples/contexts.ts', 'main')
    expect(out.code, out.stderr).toBe(0)
    expect(out.stdout).toContain('[ 1, 2 ]')
  })

  it("the nmap workflow module: meta, and lab with nmap finding the sidecars' real open ports", async () => {
    const meta = await levrt('meta', 'examples/nmap.ts')
    expect(meta.code, meta.stderr).toBe(0)
    expect(JSON.parse(meta.stdout)).toMatchObject({
      desc: expect.stringContaining('surviving hosts'),
      tags: ['nmap', 'scan'],
    })

    const lab = await levrt('run', 'examples/nmap.ts', 'lab')
    expect(lab.code, lab.stderr).toBe(0)
    const doc = JSON.parse(lab.stdout.trim().split('\n').pop()!) as {
      open: string[]
      hosts: { hostname: string; open: { port: number; service: string }[] }[]
    }
    expect(doc.open).toEqual(['web:80/tcp http', 'redis:6379/tcp redis'])
    expect(doc.hosts.map((h) => h.hostname)).toEqual(['web', 'redis'])
    expect(lab.stderr).toMatch(/nmap-1 .*exited 0/)
    expect(await leftBy(lab.pid)).toBe(0)
  })

  it('portOs --param ip=<address> scans a running target, and --resume reuses the stored scan', async () => {
    const target = await new Cr('levkit/nginx:1.0', { ports: [80] }).start()
    try {
      const ip = (await docker.getContainer(target.id).inspect()).NetworkSettings.Networks.bridge.IPAddress
      const first = await levrt('run', 'examples/nmap.ts', 'portOs', '--param', `ip=${ip}`)
      expect(first.code, first.stderr).toBe(0)
      const found = JSON.parse(first.stdout.trim()) as {
        target: string
        hosts: { address: string; open: { port: number; service: string; product: string }[] }[]
      }
      expect(found.target).toBe(ip)
      expect(found.hosts[0].address).toBe(ip)
      expect(found.hosts[0].open.map((p) => [p.port, p.service, p.product])).toEqual([[80, 'http', 'nginx']])

      const again = await levrt('run', 'examples/nmap.ts', 'portOs', '--param', `ip=${ip}`, '--resume')
      expect(again.code, again.stderr).toBe(0)
      expect(JSON.parse(again.stdout.trim())).toEqual(found)
      expect(again.stderr).toMatch(/reused/)
      const missing = await levrt('run', 'examples/nmap.ts', 'portOs')
      expect(missing.code).toBe(2)
      expect(missing.stderr).toMatch(/ip/)
    } finally {
      await target.signal('SIGTERM')
      await target.done()
    }
  })
})
