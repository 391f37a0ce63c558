/**
 * The tool images `npm run images` builds from images/*: the tools run, an entry runs with the
 * image's own node (Debian's node 18), and the servers answer other containers.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { Cr, remote, type CrOptions } from '../src/index'
import { main as filesAndServices } from '../examples/files-and-services'
import { collect } from './support/async'
import { docker } from './support/engine'
import { embeddedStoreLeavingNothing } from './support/env'

const IMAGES = ['levrt/debian:bookworm', 'levkit/nmap:1.0', 'levkit/nginx:1.0', 'levkit/redis:1.0']

/** Runs `cmd` in `image` and returns its stdout and exit code. */
async function output(
  image: string,
  cmd: string[],
  options: Omit<CrOptions, 'cmd'> = {},
): Promise<{ out: string; exitCode: number }> {
  const task = await new Cr(image, { ...options, cmd }).start()
  const [out, doc] = await Promise.all([collect(task.stdout), task.done()])
  return { out, exitCode: doc.exitCode }
}

const nginx = () => new Cr('levkit/nginx:1.0', { ports: [80] })
const redis = () => new Cr('levkit/redis:1.0', { ports: [6379] })

describe('tool images built from images/*', () => {
  embeddedStoreLeavingNothing()

  beforeAll(async () => {
    for (const ref of IMAGES) {
      await docker
        .getImage(ref)
        .inspect()
        .catch(() => {
          throw new Error(`image ${ref} is not built; run: npm run images`)
        })
    }
  })

  it('apt works in the Debian base: the mirror is configured and the lists are cleaned', async () => {
    const { out, exitCode } = await output('levrt/debian:bookworm', [
      'sh',
      '-c',
      'grep -h "^URIs:" /etc/apt/sources.list.d/debian.sources; ls /var/lib/apt/lists | grep -vc partial; apt-get --version | head -n1',
    ])
    expect(exitCode).toBe(0)
    const [lists, apt] = out.trim().split('\n').slice(-2)
    expect(out).toMatch(/^URIs: https?:\/\//)
    expect(lists).toBe('0')
    expect(apt).toMatch(/^apt 2\./)
  })

  it('runs nmap in levkit/nmap:1.0', async () => {
    const { out, exitCode } = await output('levkit/nmap:1.0', ['nmap', '--version'])
    expect(exitCode).toBe(0)
    expect(out).toMatch(/^Nmap version 7\.\d+/)
  })

  it("runs an entry with levkit/nmap:1.0's own node, which reads nmap's XML of a sidecar nginx", async () => {
    const scan = remote(async (lev, target: string) => {
      const { execFileSync } = require('child_process') as typeof import('child_process')
      const xml = execFileSync('nmap', ['-sT', '-Pn', '-p', '80,6379', '-oX', '-', target]).toString()
      const open = [...xml.matchAll(/<port protocol="tcp" portid="(\d+)"><state state="open"/g)].map((m) =>
        Number(m[1]),
      )
      lev.set({ node: process.version, nmap: /<nmaprun [^>]*\sversion="([^"]+)"/.exec(xml)?.[1], open })
    })
    const doc = await new Cr('levkit/nmap:1.0', 'test/nmap@1.0', {
      entry: scan('web'),
      services: { web: nginx() },
    })
    expect(doc.exitCode).toBe(0)
    const found = await doc.get()
    expect(found?.node).toMatch(/^v18\./)
    expect(found?.nmap).toMatch(/^7\./)
    expect(found?.open).toEqual([80])
  })

  it('serves a page from levkit/nginx:1.0 on port 80 to another container', async () => {
    const { out, exitCode } = await output('levrt/busybox', ['wget', '-qO-', 'http://web/'], {
      services: { web: nginx() },
    })
    expect(exitCode).toBe(0)
    expect(out).toContain('<h1>levkit/nginx</h1>')
  })

  it('answers PING from levkit/redis:1.0 to redis-cli in another container', async () => {
    const { out, exitCode } = await output('levkit/redis:1.0', ['redis-cli', '-h', 'redis', 'ping'], {
      services: { redis: redis() },
    })
    expect(exitCode).toBe(0)
    expect(out).toBe('PONG\n')
  })

  it('runs examples/files-and-services.ts with the real redis as the service', async () => {
    const { files, services } = await filesAndServices()
    expect(files).toEqual({ config: { threads: 4 }, blob: 'local bytes' })
    expect(services).toEqual({ reached: 'redis:6379', replies: ['PONG', 'OK', 'levrt', 'OK'] })
  })
})
