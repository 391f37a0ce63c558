import { beforeAll, describe, expect, it } from 'vitest'
import { Cr, OptionsError, type CrOptions } from '../src/index'
import { levrtObjects } from './support/engine'

// Values typed `any` on purpose: these are the mistakes a JavaScript caller (or a cast) can make.
const bad: [name: string, make: () => unknown, option: string][] = [
  ['empty image', () => new Cr(''), 'image'],
  ['image with upper case', () => new Cr('Levrt/Busybox'), 'image'],
  ['image not a string', () => new Cr(42 as any), 'image'],
  // Issue 17 (R4): values the error message could not show threw a TypeError instead.
  ['image a BigInt', () => new Cr(1n as any), 'image'],
  ['image a list holding a BigInt', () => new Cr([[0n]] as any), 'image'],
  [
    'schema an object without prototype',
    () => new Cr('levrt/busybox', '' as any, { schema: Object.create(null) }),
    'schema',
  ],
  ['cpus a BigInt', () => new Cr('levrt/busybox', { cpus: 1n as any }), 'cpus'],
  ['memory a BigInt', () => new Cr('levrt/busybox', { memory: 1n as any }), 'memory'],
  ['timeout a BigInt', () => new Cr('levrt/busybox', { timeout: 1n as any }), 'timeout'],
  ['port a BigInt', () => new Cr('levrt/busybox', { ports: [80n as any] }), 'ports[0]'],
  ['unknown option', () => new Cr('levrt/busybox', { comand: ['x'] } as any), 'comand'],
  ['options not an object', () => new Cr('levrt/busybox', 'ts/x@1.0', [] as any), 'options'],
  ['schema without version', () => new Cr('levrt/busybox', 'ts/issues' as any), 'schema'],
  ['schema without namespace', () => new Cr('levrt/busybox', { schema: 'issues@1.0' as any }), 'schema'],
  ['schema with a pipe', () => new Cr('levrt/busybox', 'a|b/c@1.0'), 'schema'],
  ['schema with leading zero', () => new Cr('levrt/busybox', 'a/b@01.0'), 'schema'],
  [
    'schema given twice, differently',
    () => new Cr('levrt/busybox', 'a/b@1.0', { schema: 'a/c@1.0' }),
    'schema',
  ],
  ['host not boolean', () => new Cr('levrt/busybox', { host: 'yes' as any }), 'host'],
  ['entry not an entry', () => new Cr('levrt/busybox', { entry: (() => 1) as any }), 'entry'],
  ['cmd not an array', () => new Cr('levrt/busybox', { cmd: 'echo hi' as any }), 'cmd'],
  ['cmd with a number', () => new Cr('levrt/busybox', { cmd: ['sleep', 1 as any] }), 'cmd[1]'],
  ['env entry without =', () => new Cr('levrt/busybox', { env: ['PATH'] as any }), 'env[0]'],
  ['env entry with empty name', () => new Cr('levrt/busybox', { env: ['=x'] }), 'env[0]'],
  ['env value not a string', () => new Cr('levrt/busybox', { env: { N: 1 as any } }), 'env.N'],
  ['env name with =', () => new Cr('levrt/busybox', { env: { 'A=B': 'x' } }), 'env.A=B'],
  [
    'relative file target',
    () => new Cr('levrt/busybox', { files: { 'etc/x': 'a' } as any }),
    'files["etc/x"]',
  ],
  [
    'file target with ..',
    () => new Cr('levrt/busybox', { files: { '/etc/../x': 'a' } }),
    'files["/etc/../x"]',
  ],
  ['file target /', () => new Cr('levrt/busybox', { files: { '/': 'a' } }), 'files["/"]'],
  ['file target with //', () => new Cr('levrt/busybox', { files: { '/a//b': 'a' } }), 'files["/a//b"]'],
  ['file source a number', () => new Cr('levrt/busybox', { files: { '/a': 5 as any } }), 'files["/a"]'],
  [
    'file source { path: "" }',
    () => new Cr('levrt/busybox', { files: { '/a': { path: '' } } }),
    'files["/a"]',
  ],
  ['link alias not a host name', () => new Cr('levrt/busybox', { links: { 'a b': 'x' } }), 'links.a b'],
  ['link target empty', () => new Cr('levrt/busybox', { links: { proxy: '' } }), 'links.proxy'],
  ['port 0', () => new Cr('levrt/busybox', { ports: [0] }), 'ports[0]'],
  ['port 65536', () => new Cr('levrt/busybox', { ports: [80, 65536] }), 'ports[1]'],
  ['port not an integer', () => new Cr('levrt/busybox', { ports: [80.5] }), 'ports[0]'],
  ['port twice', () => new Cr('levrt/busybox', { ports: [80, 80] }), 'ports[1]'],
  [
    'service not a Cr',
    () => new Cr('levrt/busybox', { services: { redis: { image: 'redis' } as any } }),
    'services.redis',
  ],
  [
    'service name not a host name',
    () => new Cr('levrt/busybox', { services: { my_redis: new Cr('levrt/busybox') } }),
    'services.my_redis',
  ],
  [
    'service with services',
    () =>
      new Cr('levrt/busybox', {
        services: { a: new Cr('levrt/busybox', { services: { b: new Cr('levrt/busybox') } }) },
      }),
    'services.a',
  ],
  ['portTimeout zero', () => new Cr('levrt/busybox', { ports: [80], portTimeout: 0 }), 'portTimeout'],
  ['portTimeout not a number', () => new Cr('levrt/busybox', { portTimeout: '5s' as any }), 'portTimeout'],
  ['signal not an AbortSignal', () => new Cr('levrt/busybox', { signal: {} as any }), 'signal'],
  [
    'link alias that is also a service name',
    () =>
      new Cr('levrt/busybox', { links: { redis: 'levrt-x' }, services: { redis: new Cr('levrt/busybox') } }),
    'links.redis',
  ],
  [
    'host-network service of a bridged run',
    () => new Cr('levrt/busybox', { services: { a: new Cr('levrt/busybox', { host: true }) } }),
    'services.a',
  ],
]

describe('Cr options', () => {
  let before: Awaited<ReturnType<typeof levrtObjects>>
  beforeAll(async () => {
    before = await levrtObjects()
  })

  it.each(bad)('%s is an OptionsError naming the option', (_, make, option) => {
    let caught: unknown
    try {
      make()
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(OptionsError)
    expect((caught as OptionsError).code).toBe('LEV_INVALID_OPTION')
    expect((caught as OptionsError).option).toBe(option)
    expect((caught as OptionsError).message).toContain(option)
  })

  it('accepts every well-formed option', () => {
    const options: CrOptions = {
      schema: 'talentsec/nmap@1.0',
      host: false,
      cmd: ['--option', '-f'],
      env: ['PATH=/bin', 'DB_URI=mongodb://x/y?a=b'],
      files: {
        '/etc/config.json': Buffer.from('{}'),
        '/data/blob': { path: './package.json' },
        '/x': 'text',
      },
      links: { proxy: 'levrt-0123' },
      ports: [8000, 1, 65535],
      services: { redis: new Cr('levrt/busybox', { ports: [9001] }) },
    }
    expect(() => new Cr('levkit/nmap_python:v1.0', options)).not.toThrow()
    expect(() => new Cr('127.0.0.1:5000/a/b:c', 'a/b@0.12', { env: { A: 'b=c' } })).not.toThrow()
  })

  it('creates nothing on the engine, valid or not (a Cr is lazy)', async () => {
    new Cr('levrt/busybox', { cmd: ['true'] })
    for (const [, make] of bad) expect(make).toThrow()
    expect(await levrtObjects()).toEqual(before)
  })
})
