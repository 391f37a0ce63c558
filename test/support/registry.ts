import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { pack } from 'tar-stream'

/**
 * A registry that serves one image (a static busybox) on loopback, speaking just enough of the
 * registry v2 protocol for the engine to pull it. Lets tests exercise a real pull, with its
 * progress, without any traffic leaving the machine.
 */
export async function startRegistry(
  repository: string,
  tag: string,
): Promise<{ host: string; close(): Promise<void> }> {
  const layerTar = await busyboxLayer()
  const layer = gzipSync(layerTar)
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/busybox', 'true'] },
      rootfs: { type: 'layers', diff_ids: [digest(layerTar)] },
    }),
  )
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: {
        mediaType: 'application/vnd.docker.container.image.v1+json',
        size: config.length,
        digest: digest(config),
      },
      layers: [
        {
          mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
          size: layer.length,
          digest: digest(layer),
        },
      ],
    }),
  )
  const blobs = new Map([
    [digest(config), config],
    [digest(layer), layer],
  ])
  const server: Server = createServer((req, res) => {
    const url = req.url ?? ''
    const send = (body: Buffer, type: string, extra: Record<string, string> = {}) => {
      res.writeHead(200, {
        'Content-Type': type,
        'Content-Length': body.length,
        'Docker-Distribution-API-Version': 'registry/2.0',
        ...extra,
      })
      res.end(req.method === 'HEAD' ? undefined : body)
    }
    if (url === '/v2/') return send(Buffer.from('{}'), 'application/json')
    if (
      url === `/v2/${repository}/manifests/${tag}` ||
      url === `/v2/${repository}/manifests/${digest(manifest)}`
    ) {
      return send(manifest, 'application/vnd.docker.distribution.manifest.v2+json', {
        'Docker-Content-Digest': digest(manifest),
      })
    }
    const blob = url.startsWith(`/v2/${repository}/blobs/`)
      ? blobs.get(url.slice(url.lastIndexOf('/') + 1))
      : undefined
    if (blob)
      return send(blob, 'application/octet-stream', {
        'Docker-Content-Digest': url.slice(url.lastIndexOf('/') + 1),
      })
    res.writeHead(404, { 'Content-Type': 'application/json' })
    res.end(JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: 'not here' }] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    host: `127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

function digest(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`
}

async function busyboxLayer(): Promise<Buffer> {
  const busybox = readFileSync(
    ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p)) ?? '/bin/busybox',
  )
  const tar = pack()
  const chunks: Buffer[] = []
  tar.on('data', (c: unknown) => chunks.push(c as Buffer))
  const ended = new Promise<void>((resolve) => tar.on('end', () => resolve()))
  tar.entry({ name: 'bin', type: 'directory', mode: 0o755 })
  tar.entry({ name: 'bin/busybox', mode: 0o755 }, busybox)
  tar.finalize()
  await ended
  return Buffer.concat(chunks)
}
