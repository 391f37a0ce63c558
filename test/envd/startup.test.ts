import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { main } from '../../src/cli/levrt'
import { resolveOptions } from '../../src/envd'
import { useStore } from '../support/env'
import { call, engineObjects, nodeRules, removeDir, settled, startService } from './support'

/**
 * What `levrt envd` refuses before it makes anything (issue 19): an API open to the network by
 * accident, and a node it cannot isolate. Through the command itself (`main`, in this process):
 * exit 2 and a message saying what to do.
 */

let stderr: string
let scratch: string
const savedPath = process.env.PATH
const savedToken = process.env.LEVRT_ENVD_TOKEN

async function levrt(...argv: string[]): Promise<number> {
  stderr = ''
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk)
    return true
  })
  try {
    return await main(argv)
  } finally {
    write.mockRestore()
  }
}

let env: ReturnType<typeof useStore>
beforeAll(() => {
  env = useStore('embedded')
  scratch = mkdtempSync(join(tmpdir(), 'levrt-envd-startup-'))
  delete process.env.LEVRT_ENVD_TOKEN
})
afterEach(() => {
  process.env.PATH = savedPath
})
afterAll(() => {
  if (savedToken !== undefined) process.env.LEVRT_ENVD_TOKEN = savedToken
  removeDir(scratch)
  env.restore()
})

describe('no open API by accident', () => {
  it('a non-loopback --listen without a token exits 2, saying how to set one, and makes nothing', async () => {
    const data = join(scratch, 'never-made')
    expect(await levrt('envd', '--listen', '0.0.0.0:0', '--data', data)).toBe(2)
    expect(stderr).toMatch(/LEVRT_ENVD_TOKEN/)
    expect(stderr).toMatch(/--insecure-no-token/)
    expect(existsSync(data)).toBe(false)
  })

  it('loopback needs no token; any other address needs one or --insecure-no-token', () => {
    for (const listen of ['127.0.0.1:5000', '127.8.9.1:1', '[::1]:5000', 'localhost:5000'])
      expect(resolveOptions({ listen }, {}).host).toBeDefined()
    for (const listen of ['0.0.0.0:5000', '[::]:5000', '192.0.2.2:5000']) {
      expect(() => resolveOptions({ listen }, {})).toThrow(/no token is set/)
      expect(resolveOptions({ listen }, { LEVRT_ENVD_TOKEN: 't' }).token).toBe('t')
      expect(resolveOptions({ listen, insecureNoToken: true }, {}).token).toBeUndefined()
    }
  })
})

describe('caps that follow --ports', () => {
  it('a small --ports alone is a valid setting: the total cap fits it unless set above it', async () => {
    expect(resolveOptions({ ports: '30000-30002' }, {}).maxTotal).toBe(3)
    expect(resolveOptions({}, {}).maxTotal).toBe(1000)
    // Through the command, which once filled in 1000: past the caps, to the next option's check.
    expect(await levrt('envd', '--ports', '30000-30002', '--instance', 'Not Valid')).toBe(2)
    expect(stderr).toMatch(/--instance/)
    expect(await levrt('envd', '--ports', '30000-30002', '--max-total', '5')).toBe(2)
    expect(stderr).toMatch(/5 is more than the 3 ports of --ports/)
  })
})

describe('a node it cannot isolate', () => {
  it('without iptables: exit 2, saying why and that --no-node-isolation exists; nothing made', async () => {
    process.env.PATH = join(scratch, 'empty-path')
    const data = join(scratch, 'no-iptables')
    expect(await levrt('envd', '--data', data, '--listen', '127.0.0.1:0')).toBe(2)
    expect(stderr).toMatch(/iptables is not installed/)
    expect(stderr).toMatch(/--no-node-isolation/)
    expect(existsSync(data)).toBe(false)
  })

  it('not root: exit 2, saying iptables needs root', async () => {
    // The real iptables, run as nobody: what a service started by an ordinary user meets.
    const data = join(scratch, 'not-root')
    writeFileSync(
      join(scratch, 'iptables'),
      '#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups /usr/sbin/iptables "$@"\n',
    )
    chmodSync(join(scratch, 'iptables'), 0o755)
    process.env.PATH = `${scratch}:/usr/bin:/bin`
    expect(await levrt('envd', '--data', data, '--listen', '127.0.0.1:0')).toBe(2)
    expect(stderr).toMatch(/iptables needs root/)
    expect(existsSync(data)).toBe(false)
  })

  it('with --no-node-isolation it starts without iptables, and installs no rule', async () => {
    process.env.PATH = join(scratch, 'empty-path')
    const svc = await startService({ nodeIsolation: false })
    process.env.PATH = savedPath
    try {
      const { body } = await call(svc.url, 'POST', '/env/create', {
        uid: 9,
        challenge: 1,
        compose_file: 'web.yaml',
      })
      expect((await settled(svc.url, body.id)).body.status).toBe(1)
      expect(await engineObjects(svc.instance)).toMatchObject({ networks: 1 })
      expect(nodeRules(svc.instance)).toEqual([])
      expect((await call(svc.url, 'GET', `/env/delete/${body.id}`)).body).toEqual({ status: 3 })
    } finally {
      await svc.close()
      removeDir(svc.data)
    }
    expect(await engineObjects(svc.instance)).toEqual({ containers: 0, networks: 0, volumes: 0 })
  })
})
