/**
 * P9 — the environment service on a 3-node swarm (scripts/swarm-lab.sh builds it here; root).
 *  1. create-to-CREATED of a one-service environment (nginx, one port, a flag volume) through the
 *     HTTP API, against `docker stack deploy` of the same file until its port answers on a node;
 *     interleaved rounds, teardown untimed.
 *  2. 100 environments created at once: p50/p99 to CREATED, and their spread over the nodes.
 * Everything is removed at the end, the lab included.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { contender, interleaved, printTable, rowMedian } from './lib/measure'

/** Its own lab; LAB_NAME and LAB_SUBNET from the environment move it beside labs already up. */
const LAB = {
  LAB_NAME: process.env.LAB_NAME ?? 'levbench',
  LAB_SUBNET: process.env.LAB_SUBNET ?? '10.79.8.0/24',
  LAB_IMAGES: 'levrt/busybox:latest levkit/nginx:1.0',
}
const SCRIPT = resolve(__dirname, '../scripts/swarm-lab.sh')
const COMPOSE = `version: "3.8"
services:
  web:
    image: levkit/nginx:1.0
    ports:
      - target: 80
        protocol: tcp
    volumes:
      - flag-bench:/flag
volumes:
  flag-bench:
`
/** The same for `docker stack deploy`: a host-mode port of its own and no virtual IP (no IPVS on the lab). */
const stackFile = (port: number) =>
  COMPOSE.replace(
    '        protocol: tcp\n',
    `        protocol: tcp\n        published: ${port}\n        mode: host\n`,
  ).replace(
    '    volumes:\n      - flag',
    '    deploy:\n      endpoint_mode: dnsrr\n    volumes:\n      - flag',
  )
const LIGHT =
  'services:\n  web:\n    image: levrt-bench/busybox:1.0\n    command: httpd -f -p 80 -h /etc\n    ports: [80]\n'
const AT_ONCE = 100

const lab = (...args: string[]) =>
  execFileSync('bash', [SCRIPT, ...args], {
    env: { ...process.env, ...LAB },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })

/** The few fields the bench reads of envd's answers. */
interface Reply {
  readonly id: number
  readonly status: number
  readonly node_ip: string
}

async function json(url: string, init?: RequestInit): Promise<Reply> {
  return (await fetch(url, init)).json() as Promise<Reply>
}
const post = (url: string, body: unknown) =>
  json(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })

async function untilCreated(base: string, id: number): Promise<{ node_ip: string }> {
  const env = await untilSettled(base, id)
  if (env.status !== 1) throw new Error(`environment ${id} ended in status ${env.status}`)
  return env
}

async function untilSettled(base: string, id: number): Promise<{ node_ip: string; status: number }> {
  for (;;) {
    const env = await json(`${base}/env/get/${id}`)
    if (env.status !== 0) return env
    await sleep(5)
  }
}

const accepts = (host: string, port: number) =>
  new Promise<boolean>((done) => {
    const s = connect({ host, port })
    const end = (ok: boolean) => (s.destroy(), done(ok))
    s.setTimeout(300, () => end(false))
    s.once('connect', () => end(true)).once('error', () => end(false))
  })

const percentile = (xs: readonly number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]

async function main(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS) || 5
  const nodes = lab('up', '3')
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
  const manager = nodes[0][2]
  const addresses = nodes.map((n) => n[1])
  for (const n of nodes)
    execFileSync('docker', ['-H', n[2], 'tag', 'levrt/busybox:latest', 'levrt-bench/busybox:1.0'])
  const home = mkdtempSync(join(tmpdir(), 'levrt-bench-swarm-'))
  const data = join(home, 'data')
  mkdirSync(join(data, 'compose', 'bench'), { recursive: true })
  writeFileSync(join(data, 'compose', 'bench', 'docker-compose.yaml'), COMPOSE)
  writeFileSync(join(data, 'compose', 'light.yaml'), LIGHT)
  process.env.LEV_HOME = join(home, 'store')
  process.env.DOCKER_HOST = manager
  delete process.env.LEV_MONGO_URL
  delete process.env.LEVRT_ENVD_TOKEN
  const { startEnvd } = await import('../src/envd')
  const envd = await startEnvd({
    listen: '127.0.0.1:0',
    data,
    ports: '40000-40999',
    maxTotal: 400,
    maxPerUid: 10,
    reapEvery: 600,
    readyTimeout: 300,
    logLevel: 'error',
    instance: `bench${process.pid}`,
    backend: 'swarm',
  })
  const base = envd.url
  const docker = (...args: string[]) => spawnSync('docker', ['-H', manager, ...args], { encoding: 'utf8' })
  let uid = 1
  let round = 0
  try {
    console.log(`P9 on a ${nodes.length}-node swarm lab (${addresses.join(', ')}); rounds: ${rounds}`)
    const contenders = [
      contender({
        name: 'docker stack deploy until the port answers (baseline)',
        async run() {
          const name = `lvb${process.pid}x${round++}`
          const port = 41000 + round
          const file = join(home, `${name}.yaml`)
          writeFileSync(file, stackFile(port))
          const r = docker('stack', 'deploy', '--detach=true', '-c', file, name)
          if (r.status !== 0) throw new Error(`docker stack deploy failed: ${r.stderr}`)
          while (!(await Promise.all(addresses.map((a) => accepts(a, port)))).some(Boolean)) await sleep(5)
          return name
        },
        after: async (_: unknown, name: string | undefined) => void (name && docker('stack', 'rm', name)),
      }),
      contender({
        name: 'levrt envd --backend swarm: POST /env/create until CREATED (port accepts TCP)',
        async run() {
          const body = {
            uid: uid++,
            challenge: 1,
            compose_file: 'bench/docker-compose.yaml',
            flag: 'flag{b}',
          }
          const { id } = await post(`${base}/env/create`, body)
          await untilCreated(base, id)
          return id as number
        },
        after: async (_: unknown, id: number | undefined) =>
          void (id && (await json(`${base}/env/delete/${id}`))),
      }),
    ]
    const rows = await interleaved(contenders, rounds)
    printTable(
      `P9 — create-to-CREATED on the swarm, nginx with a port and a flag; ${rounds} rounds`,
      rows,
      contenders[0].name,
    )
    const ratio = rowMedian(rows, contenders[1].name) / rowMedian(rows, contenders[0].name)
    console.log(`\nP9 create ratio (levrt / docker stack deploy): ${ratio.toFixed(2)}x`)

    const t0 = performance.now()
    const created = await Promise.all(
      Array.from({ length: AT_ONCE }, (_, i) =>
        post(`${base}/env/create`, { uid: 1000 + i, challenge: 2, compose_file: 'light.yaml' }),
      ),
    )
    const times: number[] = []
    const spread = new Map<string, number>()
    let failed = 0
    await Promise.all(
      created.map(async (c) => {
        const env = await untilSettled(base, c.id)
        if (env.status !== 1) return void failed++
        times.push(performance.now() - t0)
        spread.set(env.node_ip, (spread.get(env.node_ip) ?? 0) + 1)
      }),
    )
    if (failed) console.log(`${failed} of ${AT_ONCE} ended in ERROR (see the log lines above)`)
    console.log(
      `\nP9 — ${AT_ONCE} environments created at once (busybox httpd), time to CREATED from the first POST`,
    )
    console.log('| p50 ms | p99 ms | max ms | spread over nodes |')
    console.log('|---|---|---|---|')
    const where = [...spread]
      .sort()
      .map(([ip, n]) => `${ip}: ${n}`)
      .join(', ')
    console.log(
      `| ${percentile(times, 50).toFixed(0)} | ${percentile(times, 99).toFixed(0)} | ${Math.max(...times).toFixed(0)} | ${where} |`,
    )
    await Promise.all(created.map((c) => json(`${base}/env/delete/${c.id}`)))
  } finally {
    await envd.close()
    rmSync(home, { recursive: true, force: true })
    lab('down')
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
