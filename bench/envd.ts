/**
 * `npm run bench:envd` — P6 in ../shared/BENCH.md: the environment service.
 *  1. create-to-CREATED of a one-service environment (nginx, one port, a flag volume) through the
 *     HTTP API, against `docker-compose up -d` of the same file (Debian's docker-compose, installed
 *     here with apt-get when missing); interleaved rounds, teardown untimed.
 *  2. get and list latency (p50/p99) with 200 live environments.
 * The service runs in this process on loopback, on a temp store and data folder; everything it
 * and docker-compose create is removed at the end.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import Dockerode from 'dockerode'
import { contender, interleaved, printMachine, printTable, rowMedian, verdict } from './lib/measure'
import { assertImages } from './lib/owned'

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
const LIGHT =
  'services:\n  web:\n    image: levrt-bench/busybox:1.0\n    command: httpd -f -p 80 -h /etc\n    ports: [80]\n'
const LIVE = 200

/** Debian's docker-compose (v1): installed with apt-get when missing, as scripts/setup.sh installs packages. */
function ensureCompose(): string {
  const found = spawnSync('bash', ['-c', 'command -v docker-compose'], { encoding: 'utf8' }).stdout.trim()
  if (found) return found
  if (process.getuid?.() !== 0)
    throw new Error('docker-compose is missing: sudo apt-get install docker-compose')
  console.log('installing docker-compose (apt-get)...')
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore' })
  execFileSync('apt-get', ['install', '-y', '-qq', 'docker-compose'], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  })
  return spawnSync('bash', ['-c', 'command -v docker-compose'], { encoding: 'utf8' }).stdout.trim()
}

/** A JSON answer, loosely typed: the bench only reads a few fields. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the seed's answers, read field by field
async function json(url: string, init?: RequestInit): Promise<any> {
  const res = await fetch(url, init)
  return res.json()
}

const post = (url: string, body: unknown) =>
  json(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })

/** Polls get every 5 ms until CREATED; throws on ERROR. */
async function untilCreated(base: string, id: number): Promise<void> {
  for (;;) {
    const env = await json(`${base}/env/get/${id}`)
    if (env.status === 1) return
    if (env.status !== 0) throw new Error(`environment ${id} ended in status ${env.status}`)
    await sleep(5)
  }
}

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}

async function latencies(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await fn()
    out.push(performance.now() - t0)
  }
  return out
}

async function main(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS) || 9
  const docker = new Dockerode()
  await printMachine(docker)
  await assertImages(docker, ['levkit/nginx:1.0', 'levrt/busybox:latest'], 'run: npm run images')
  const compose = ensureCompose()
  console.log(
    `${execFileSync(compose, ['version', '--short'], { encoding: 'utf8' }).trim()} (docker-compose); rounds: ${rounds}`,
  )
  const home = mkdtempSync(join(tmpdir(), 'levrt-bench-envd-'))
  const data = join(home, 'data')
  mkdirSync(join(data, 'compose', 'bench'), { recursive: true })
  writeFileSync(join(data, 'compose', 'bench', 'docker-compose.yaml'), COMPOSE)
  writeFileSync(join(data, 'compose', 'light.yaml'), LIGHT)
  const composeDir = join(home, 'compose-baseline')
  cpSync(join(data, 'compose', 'bench'), composeDir, { recursive: true })
  process.env.LEV_HOME = join(home, 'store')
  delete process.env.LEV_MONGO_URL
  delete process.env.LEVRT_ENVD_TOKEN
  await docker.getImage('levrt/busybox:latest').tag({ repo: 'levrt-bench/busybox', tag: '1.0' })
  const { startEnvd } = await import('../src/envd')
  const envd = await startEnvd({
    listen: '127.0.0.1:0',
    data,
    nodeIp: '127.0.0.1',
    ports: '40000-40999',
    maxTotal: 400,
    maxPerUid: 10,
    reapEvery: 600,
    logLevel: 'warn',
    instance: `bench${process.pid}`,
  })
  const base = envd.url
  let uid = 1
  const project = (i: number) => `levrtbench${process.pid}x${i}`
  let round = 0
  const down = (name: string) =>
    spawnSync(compose, ['-p', name, '-f', join(composeDir, 'docker-compose.yaml'), 'down', '-v', '-t', '0'], {
      stdio: 'ignore',
    })
  try {
    const contenders = [
      contender({
        name: 'docker-compose up -d (baseline)',
        async run() {
          const name = project(round++)
          const r = spawnSync(
            compose,
            ['-p', name, '-f', join(composeDir, 'docker-compose.yaml'), 'up', '-d'],
            { encoding: 'utf8' },
          )
          if (r.status !== 0) throw new Error(`docker-compose up failed: ${r.stderr}`)
          return name
        },
        after: async (_: unknown, name: string | undefined) => void (name && down(name)),
      }),
      contender({
        name: 'levrt envd: POST /env/create until GET /env/get says CREATED (port accepts TCP)',
        async run() {
          const { id } = await post(`${base}/env/create`, {
            uid: uid++,
            challenge: 1,
            compose_file: 'bench/docker-compose.yaml',
            flag: 'flag{bench}',
          })
          await untilCreated(base, id)
          return id as number
        },
        after: async (_: unknown, id: number | undefined) =>
          void (id && (await json(`${base}/env/delete/${id}`))),
      }),
    ]
    const rows = await interleaved(contenders, rounds)
    printTable(
      `P6 — create-to-CREATED, one nginx service with a port and a flag volume; ${rounds} rounds interleaved, teardown untimed (target ≤ 1.0× docker-compose up -d)`,
      rows,
      contenders[0].name,
    )
    const ratio = rowMedian(rows, contenders[1].name) / rowMedian(rows, contenders[0].name)
    console.log(
      `\nP6 create ratio (levrt / docker-compose): ${ratio.toFixed(2)}× (target ≤ 1.0×) ${verdict(ratio, (r) => r <= 1.0)}`,
    )

    // 200 live environments (a light busybox httpd each: 20 uids × 10), then get and list latency.
    const ids: number[] = []
    for (let batch = 0; batch < LIVE / 20; batch++) {
      const created = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          post(`${base}/env/create`, {
            uid: 10_000 + batch * 2 + (i % 2),
            challenge: 2,
            compose_file: 'light.yaml',
          }),
        ),
      )
      const refused = created.find((c) => c.status !== 0)
      if (refused) throw new Error(`create refused: ${JSON.stringify(refused)}`)
      ids.push(...created.map((c) => c.id as number))
      await Promise.all(created.map((c) => untilCreated(base, c.id)))
    }
    const live = (await json(`${base}/env/list`)) as unknown[]
    const gets = await latencies(1000, () =>
      json(`${base}/env/get/${ids[Math.floor(Math.random() * ids.length)]}`),
    )
    const lists = await latencies(200, () => json(`${base}/env/list`))
    console.log(
      `\nP6 — get/list latency over HTTP on loopback with ${live.length} live environments (sequential requests; target p99 < 20 ms)`,
    )
    console.log('| what | requests | p50 ms | p99 ms | max ms | verdict |')
    console.log('|---|---|---|---|---|---|')
    for (const [what, xs] of [
      ['GET /env/get/<id>', gets],
      ['GET /env/list', lists],
    ] as const) {
      const p99 = percentile(xs, 99)
      console.log(
        `| ${what} | ${xs.length} | ${percentile(xs, 50).toFixed(2)} | ${p99.toFixed(2)} | ${Math.max(...xs).toFixed(2)} | ${verdict(p99, (v) => v < 20)} |`,
      )
    }
    for (let i = 0; i < ids.length; i += 20)
      await Promise.all(ids.slice(i, i + 20).map((id) => json(`${base}/env/delete/${id}`)))
  } finally {
    for (let i = 0; i < round; i++) down(project(i))
    await envd.close()
    const left = await docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`io.levrt.envd.instance=bench${process.pid}`] }),
    })
    if (left.length) console.log(`WARNING: ${left.length} containers left`)
    await docker
      .getImage('levrt-bench/busybox:1.0')
      .remove({ noprune: true })
      .catch(() => undefined)
    rmSync(home, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
