/**
 * Entries in images without node: levrt brings its own (with its own loader and libraries) on
 * a shared, read-only volume. Real engine; images from `scripts/setup.sh --test`.
 */
import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as tarStream from 'tar-stream'
import { Cr, NoNodeError, remote } from '../src/index'
import { content } from '../src/archive/pack'
import { DockerEngine } from '../src/engine/docker-engine'
import { LABEL } from '../src/docker/labels'
import { gc } from '../src/engine/gc'
import { RuntimeMemo } from '../src/runtime/memo'
import { fill, runtimeVolumeName } from '../src/runtime/runtime-volume'
import { docker, levrtObjects } from './support/engine'
import { rejection } from './support/async'
import { embeddedStoreLeavingNothing } from './support/env'

/** Runs a program of the image from the entry (through the image's PATH) and keeps what it said. */
const probe = remote(async (lev, program: string, args: string[]) => {
  const { spawnSync } = require('child_process') as typeof import('child_process')
  const r = spawnSync(program, args, { encoding: 'utf8' })
  lev.set({
    node: process.version,
    out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim(),
    error: r.error ? String(r.error.message) : null,
    uid: process.getuid ? process.getuid() : -1,
  })
})

const NON_ROOT = `levrt-test/nonroot-${randomBytes(3).toString('hex')}:1`
const ARM = `levrt-test/arm64-${randomBytes(3).toString('hex')}:1`

/** A one-file image whose config says arm64, loaded through the engine's image-load API. */
async function loadArmImage(ref: string): Promise<void> {
  const layer = await tarBytes([['hello', 'not a program\n']])
  const config = JSON.stringify({
    architecture: 'arm64',
    os: 'linux',
    config: { Cmd: ['/hello'] },
    rootfs: { type: 'layers', diff_ids: [`sha256:${createHash('sha256').update(layer).digest('hex')}`] },
  })
  const manifest = JSON.stringify([{ Config: 'config.json', RepoTags: [ref], Layers: ['layer.tar'] }])
  const image = await tarBytes([
    ['config.json', config],
    ['layer.tar', layer],
    ['manifest.json', manifest],
  ])
  const res = (await docker.loadImage(Readable.from([image]))) as unknown as Readable
  for await (const _ of res); // the load is done when its response ends
}

function tarBytes(files: [string, string | Buffer][]): Promise<Buffer> {
  const pack = tarStream.pack()
  for (const [name, data] of files) pack.entry({ name }, data)
  pack.finalize()
  const chunks: Buffer[] = []
  return new Promise((resolve, reject) => {
    pack.on('data', (c) => chunks.push(c as Buffer))
    pack.on('end', () => resolve(Buffer.concat(chunks)))
    pack.on('error', reject)
  })
}

// Nothing of the runs may be left; the shared runtime volume carries no owner labels, so it may.
embeddedStoreLeavingNothing()

describe('entries in any image', () => {
  beforeAll(async () => {
    // levrt/busybox with a USER that is not root: the runtime volume must be readable to it.
    const c = await docker.createContainer({ Image: 'levrt/busybox', Cmd: ['true'] })
    await c.commit({ repo: NON_ROOT.split(':')[0], tag: '1', changes: ['USER 65534:65534'] })
    await c.remove()
    await loadArmImage(ARM)
  })

  afterAll(async () => {
    for (const ref of [NON_ROOT, ARM])
      await docker
        .getImage(ref)
        .remove()
        .catch(() => undefined)
  })

  it('runs in a FROM-scratch image (no shell, no libc)', async () => {
    const list = remote(async (lev) => {
      lev.set({ node: process.version, root: (require('fs') as typeof import('fs')).readdirSync('/').sort() })
    })
    const doc = await new Cr('levrt-test/ferretdb:1.24', { entry: list })
    const got = (await doc.get())!
    expect(got.node).toBe(process.version) // ours: the image has none
    expect(got.root).toContain('ferretdb')
    expect(got.root).not.toContain('lib') // nothing of ours but /.levrt
  })

  it('runs in levrt/busybox and calls the image tools through its PATH', async () => {
    const doc = await new Cr('levrt/busybox', { entry: probe('busybox', ['echo', 'from busybox']) })
    expect(await doc.get()).toMatchObject({ node: process.version, out: 'from busybox', uid: 0 })
  })

  it('runs in a musl-based image, whose own tool still uses musl', async () => {
    const doc = await new Cr('levrt-test/musl:1.0', { entry: probe('hello', ['a', 'b']) })
    expect(await doc.get()).toMatchObject({ node: process.version, out: 'hello from musl a b', error: null })
  })

  it('runs in the Debian tool image without node and calls its tool', async () => {
    const doc = await new Cr('levkit/nginx:1.0', { entry: probe('nginx', ['-v']) })
    const got = (await doc.get())!
    expect(got.node).toBe(process.version)
    expect(got.out).toMatch(/^nginx version: nginx\//)
  })

  it("prefers the image's own node where it has one (levkit/nmap: Debian's node 18)", async () => {
    const doc = await new Cr('levkit/nmap:1.0', { entry: probe('nmap', ['--version']) })
    const got = (await doc.get())!
    expect(got.node).toMatch(/^v18\./)
    expect(got.out).toContain('Nmap version')
  })

  it('runs as an image USER that is not root', async () => {
    const doc = await new Cr(NON_ROOT, { entry: probe('id', ['-u']) })
    expect(await doc.get()).toMatchObject({ node: process.version, out: '65534', uid: 65534 })
  })

  it('refuses an image for another CPU before anything is created', async () => {
    const objects = await levrtObjects()
    const err = await rejection(new Cr(ARM, { entry: probe('true', []) }))
    expect(err).toBeInstanceOf(NoNodeError)
    expect((err as Error).message).toContain('arm64')
    expect(await levrtObjects()).toEqual(objects)
  })
})

describe('the runtime volume', () => {
  const engine = new DockerEngine()

  it('is filled once when several fill it at the same time, and leaves no filler behind', async () => {
    // A small stand-in bundle with a key of its own, so the shared volume is not touched.
    const real = await new RuntimeMemo().nodeBundle()
    const bundle = {
      key: `test${randomBytes(8).toString('hex')}`,
      nodeVersion: 'v0',
      entries: [content('/hello.txt', 'hi\n')],
    }
    try {
      const names = await Promise.all([1, 2, 3, 4].map(() => fill(engine, 'levrt/busybox', bundle)))
      expect(new Set(names)).toEqual(new Set([runtimeVolumeName(bundle)]))
      const c = await docker.createContainer({
        Image: 'levrt/busybox',
        Cmd: ['sh', '-c', 'cat /v/hello.txt /v/.complete'],
        HostConfig: { Mounts: [{ Type: 'volume', Source: names[0], Target: '/v', ReadOnly: true }] },
      })
      await c.start()
      await c.wait()
      const logs = (await c.logs({ stdout: true })).toString('utf8')
      await c.remove()
      expect(logs).toContain('hi')
      expect(logs).toContain('v0')
      const fillers = await docker.listContainers({
        all: true,
        filters: JSON.stringify({ label: [`${LABEL.runtimeKey}=${bundle.key}`] }),
      })
      expect(fillers).toHaveLength(0)
      expect(bundle.key).not.toBe(real.key)
    } finally {
      await docker
        .getVolume(runtimeVolumeName(bundle))
        .remove()
        .catch(() => undefined)
    }
  })

  it('is kept by levrt gc and removed by levrt gc --all', async () => {
    await new Cr('levrt/busybox', { entry: probe('true', []) })
    const name = runtimeVolumeName(await new RuntimeMemo().nodeBundle())
    const isOurs = (o: { kind: string; id: string }) => o.kind === 'volume' && o.id === name
    // Dry runs: a real `gc --all` would also remove other work on this shared engine.
    expect((await gc(engine, { dryRun: true })).removed.some(isOurs)).toBe(false)
    const all = await gc(engine, { all: true, dryRun: true })
    const volume = all.removed.find(isOurs)
    expect(volume).toBeDefined()
    // gc --all removes containers first: this process's session reaper runs our node from the
    // volume (and then the volume is free).
    for (const o of all.removed)
      if (o.kind === 'container' && o.labels[LABEL.reapsPid] === String(process.pid))
        await engine.removeObject(o)
    await engine.removeObject(volume!) // what gc --all does with it
    expect(
      (await docker.listVolumes({ filters: JSON.stringify({ name: [name] }) })).Volumes ?? [],
    ).toHaveLength(0)
    // The next entry that needs it fills it again.
    const doc = await new Cr('levrt/busybox', { entry: probe('busybox', ['echo', 'again']) })
    expect(await doc.get()).toMatchObject({ out: 'again' })
  })
})
