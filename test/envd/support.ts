import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { PassThrough } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { startEnvd, type Envd, type EnvdInput } from '../../src/envd'
import { NodeFirewall } from '../../src/envd/backend/docker/firewall'
import { iptables } from '../../src/envd/backend/docker/iptables'
import { ENVD_LABEL } from '../../src/envd/backend/docker/labels'
import { docker } from '../support/engine'

export const FIXTURES = resolve(__dirname, '../fixtures/envd/compose')
/** A versioned name for the local busybox (the policy refuses `latest`). */
export const TEST_BUSYBOX = 'levrt-test/busybox:1.0'

export interface Service {
  readonly envd: Envd
  readonly url: string
  readonly data: string
  readonly instance: string
  /** Everything pino wrote. */
  logs(): string
  close(): Promise<void>
}

export interface Reply {
  readonly status: number
  /** The parsed JSON under test: any, so tests read its fields without casts. */
  readonly body: any
}

/** A fresh data folder holding the compose fixtures. */
export function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'levrt-envd-'))
  cpSync(FIXTURES, join(dir, 'compose'), { recursive: true })
  return dir
}

/** A random port range of `size` in 33000-38999, so files (and a stray service) rarely meet. */
export function portRange(size = 200): string {
  const first = 33000 + Math.floor(Math.random() * (6000 - size))
  return `${first}-${first + size - 1}`
}

/** Starts a service on a free loopback port; the instance name keeps its objects apart. */
export async function startService(
  input: EnvdInput & { data?: string; instance?: string } = {},
): Promise<Service> {
  const data = input.data ?? dataDir()
  const instance = input.instance ?? `t${randomBytes(4).toString('hex')}`
  const chunks: Buffer[] = []
  const logStream = new PassThrough()
  logStream.on('data', (c: Buffer) => chunks.push(c))
  const envd = await startEnvd({
    listen: '127.0.0.1:0',
    nodeIp: '127.0.0.1',
    ports: portRange(),
    maxTotal: 200,
    reapEvery: 30,
    logLevel: 'info',
    ...input,
    data,
    instance,
    logStream,
  })
  return {
    envd,
    url: envd.url,
    data,
    instance,
    logs: () => Buffer.concat(chunks).toString('utf8'),
    close: () => envd.close(),
  }
}

/** One HTTP call with a JSON body (or a raw string), as a player's platform would make it. */
export async function call(
  url: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const raw = typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body)
  const res = await fetch(`${url}${path}`, {
    method,
    headers: raw === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
    body: raw,
  })
  const text = await res.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON: the test shows the text
  }
  return { status: res.status, body: parsed }
}

/** Polls `get` until the status is no longer CREATING (0). */
export async function settled(
  url: string,
  id: number,
  ms = 60_000,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const deadline = Date.now() + ms
  for (;;) {
    const reply = await call(url, 'GET', `/env/get/${id}`, undefined, headers)
    if (reply.status !== 200 || reply.body.status !== 0 || Date.now() > deadline) return reply
    await sleep(50)
  }
}

/** Polls `fn` until it returns true or `ms` pass; returns the last answer. */
export async function eventually(fn: () => Promise<boolean>, ms: number, every = 100): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await fn()) return true
    if (Date.now() > deadline) return false
    await sleep(every)
  }
}

/** The instance's containers, networks and volumes on the engine (of one environment, with `env`). */
export async function engineObjects(
  instance: string,
  env?: number,
): Promise<{ containers: number; networks: number; volumes: number }> {
  const label = [
    `${ENVD_LABEL.instance}=${instance}`,
    ...(env === undefined ? [] : [`${ENVD_LABEL.env}=${env}`]),
  ]
  const filters = JSON.stringify({ label })
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    env === undefined ? docker.listNetworks({ filters }) : Promise.resolve([]),
    docker.listVolumes({ filters }),
  ])
  return { containers: containers.length, networks: networks.length, volumes: volumes.Volumes?.length ?? 0 }
}

/** The container of one service of an environment. */
export async function containerOf(instance: string, env: number, service: string): Promise<string> {
  const filters = JSON.stringify({
    label: [
      `${ENVD_LABEL.instance}=${instance}`,
      `${ENVD_LABEL.env}=${env}`,
      `io.levrt.role=envd:service:${service}`,
    ],
  })
  const [c] = await docker.listContainers({ all: true, filters })
  if (!c) throw new Error(`no container for ${service} of environment ${env}`)
  return c.Id
}

/** Runs a command in a container; resolves with its exit code and output. */
export async function exec(container: string, cmd: string[]): Promise<{ code: number; output: string }> {
  const e = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true })
  const stream = await e.start({})
  const out = new PassThrough()
  const chunks: Buffer[] = []
  out.on('data', (c: Buffer) => chunks.push(c))
  docker.modem.demuxStream(stream, out, out)
  await new Promise((done) => stream.on('end', done))
  const { ExitCode } = await e.inspect()
  return { code: ExitCode ?? -1, output: Buffer.concat(chunks).toString('utf8') }
}

/** `levrt/busybox` under a versioned name (a tag only; removed with `untagTestBusybox`). */
export async function tagTestBusybox(): Promise<void> {
  await docker.getImage('levrt/busybox:latest').tag({ repo: 'levrt-test/busybox', tag: '1.0' })
}

export async function untagTestBusybox(): Promise<void> {
  await docker
    .getImage(TEST_BUSYBOX)
    .remove({ noprune: true })
    .catch(() => undefined)
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

/** This instance's node-isolation rules: every `iptables -S` line naming its chain. */
export function nodeRules(instance: string): string[] {
  const chain = new NodeFirewall(iptables(), instance).chain
  return execFileSync('iptables', ['-w', '-S'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(chain))
}
