/**
 * The seed's `files` and `services`/`ports` examples, in TypeScript: the service is a real redis
 * (`levkit/redis:1.0`, which this repository builds from images/redis; any redis image will do).
 *
 *   npx ts-node examples/files-and-services.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Cr, remote } from 'levrt'

/** Runs both examples and returns what each stored. */
export async function main(): Promise<{ files: unknown; services: unknown }> {
  // files: content at an absolute path, and a local file (streamed, never read whole).
  const dir = mkdtempSync(join(tmpdir(), 'levrt-example-'))
  writeFileSync(join(dir, 'blob'), 'local bytes')
  const readFiles = remote((lev) => {
    const fs = require('fs') as typeof import('fs')
    lev.set({
      config: JSON.parse(fs.readFileSync('/etc/config.json', 'utf8')),
      blob: fs.readFileSync('/data/blob', 'utf8'),
    })
  })
  const files = await new Cr('levrt/node:20', 'example/files@1.0', {
    entry: readFiles,
    files: { '/etc/config.json': JSON.stringify({ threads: 4 }), '/data/blob': { path: join(dir, 'blob') } },
  })
  console.log('files →', await files.get())
  rmSync(dir, { recursive: true })

  // services and ports: the sidecar is reachable by its key as host name, its port waited for
  // before the main container starts, and it is removed when the main container ends.
  const useRedis = remote(async (lev) => {
    const net = require('net') as typeof import('net')
    const uri = new URL(process.env.REDIS_URI!) // redis://redis:6379
    // Redis's protocol (RESP) is a few lines with node's net: no client library in the image.
    const command = (...args: string[]) =>
      `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`
    const text = await new Promise<string>((resolve, reject) => {
      let received = ''
      const socket = net.connect(Number(uri.port), uri.hostname, () => {
        socket.write(
          command('PING') + command('SET', 'seen-by', 'levrt') + command('GET', 'seen-by') + command('QUIT'),
        )
      })
      socket.setEncoding('utf8')
      socket
        .on('data', (chunk: string) => (received += chunk))
        .on('end', () => resolve(received))
        .on('error', reject)
    })
    // `+PONG`, `+OK`, `$5` `levrt`, `+OK`: the `$` lines only give the next line's length.
    const replies = text
      .split('\r\n')
      .filter((line) => line && !line.startsWith('$'))
      .map((line) => line.replace(/^\+/, ''))
    lev.set({ reached: uri.host, replies })
  })
  const withService = await new Cr('levrt/node:20', 'example/services@1.0', {
    entry: useRedis,
    env: ['REDIS_URI=redis://redis:6379'],
    services: { redis: new Cr('levkit/redis:1.0', { ports: [6379] }) },
  })
  console.log('services →', await withService.get())
  return { files: await files.get(), services: await withService.get() }
}

// Run as a script; a test imports main() instead.
if (require.main === module) {
  main().catch((err) => {
    console.error(err)
    process.exit(1)
  })
}
