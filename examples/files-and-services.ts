/**
 * The seed's `files` and `services`/`ports` examples, in TypeScript. Run with
 * `npx ts-node examples/files-and-services.ts` after `npm run setup && npm run build`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Cr, remote } from 'levrt'

async function main(): Promise<void> {
  // files: content at an absolute path, and a local file (streamed, never read whole).
  const dir = mkdtempSync(join(tmpdir(), 'levrt-example-'))
  writeFileSync(join(dir, 'blob'), 'local bytes')
  const readFiles = remote((lev) => {
    const fs = require('fs') as typeof import('fs')
    lev.set({ config: JSON.parse(fs.readFileSync('/etc/config.json', 'utf8')), blob: fs.readFileSync('/data/blob', 'utf8') })
  })
  const files = await new Cr('levrt/node:20', 'example/files@1.0', {
    entry: readFiles,
    files: { '/etc/config.json': JSON.stringify({ threads: 4 }), '/data/blob': { path: join(dir, 'blob') } },
  })
  console.log('files →', await files.get())
  rmSync(dir, { recursive: true })

  // services and ports: the sidecar is reachable by its key as host name, its port waited for
  // before the main container starts, and it is removed when the main container ends.
  const useService = remote(async (lev) => {
    const uri = new URL(process.env.REDIS_URI!) // redis://redis:9001
    const res = await fetch(`http://${uri.host}/`)
    lev.set({ reached: uri.host, status: res.status, body: (await res.text()).trim() })
  })
  const withService = await new Cr('levrt/node:20', 'example/services@1.0', {
    entry: useService,
    env: ['REDIS_URI=redis://redis:9001'],
    services: {
      // No redis image here (no registry): busybox's httpd stands in for the sidecar.
      redis: new Cr('levrt/busybox', { cmd: ['httpd', '-f', '-p', '9001', '-h', '/www'], files: { '/www/index.html': 'PONG\n' }, ports: [9001] }),
    },
  })
  console.log('services →', await withService.get())
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
