import Dockerode from 'dockerode'
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { ENVD_LABEL } from '../../src/envd/backend/docker/labels'
import { call, type Service } from './support'

const SCRIPT = resolve(__dirname, '../../scripts/swarm-lab.sh')
/** The tests' own lab: its own names and subnet, so a lab someone is trying stays untouched. */
const LAB_ENV = { LAB_NAME: 'levswt', LAB_SUBNET: '10.79.7.0/24', LAB_IMAGES: 'levrt/busybox:latest' }

export interface LabNode {
  readonly name: string
  readonly address: string
  readonly engine: string
  readonly docker: Dockerode
}

function lab(...args: string[]): string {
  return execFileSync('bash', [SCRIPT, ...args], {
    env: { ...process.env, ...LAB_ENV },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
}

/** Builds the lab (N engines in namespaces, one swarm); the manager comes first. */
export function labUp(n = 3): LabNode[] {
  return lab('up', String(n))
    .trim()
    .split('\n')
    .map((line) => {
      const [name, address, engine] = line.split(' ')
      return {
        name,
        address,
        engine,
        docker: new Dockerode({ socketPath: engine.replace(/^unix:\/\//, '') }),
      }
    })
}

export function labDown(): void {
  lab('down')
}

/** What a lab left on this machine: namespaces, links, mounts, cgroups, folders, the FORWARD rule. */
export function labLeftovers(): string[] {
  const name = LAB_ENV.LAB_NAME
  const found = [
    ...(existsSync('/var/run/netns') ? readdirSync('/var/run/netns').map((d) => `/var/run/netns/${d}`) : []),
    ...readdirSync('/sys/class/net').map((n) => `/sys/class/net/${n}`),
    ...readdirSync('/sys/fs/cgroup').flatMap((c) => {
      const dir = `/sys/fs/cgroup/${c}`
      return existsSync(dir) && statSync(dir).isDirectory() ? readdirSync(dir).map((d) => `${dir}/${d}`) : []
    }),
    ...readFileSync('/proc/mounts', 'utf8').split('\n'),
    ...execFileSync('iptables', ['-S', 'FORWARD'], { encoding: 'utf8' }).split('\n'),
    ...[`/run/${name}`, `/var/lib/${name}`].filter((d) => existsSync(d)),
  ]
  return found.filter((f) => f.includes(name))
}

/** Stops or starts again one node's engine (`levswt-n2`: node 2). */
export function labEngine(action: 'stop' | 'start', node: LabNode): void {
  lab(`${action}-node`, node.name.replace(/^.*-n/, ''))
}

/** The policy wants a versioned image name: the tests' busybox, tagged on every node. */
export async function tagBusybox(nodes: readonly LabNode[]): Promise<void> {
  await Promise.all(
    nodes.map((n) =>
      n.docker.getImage('levrt/busybox:latest').tag({ repo: 'levrt-test/busybox', tag: '1.0' }),
    ),
  )
}

const filter = (instance: string, env?: number) =>
  JSON.stringify({
    label: [`${ENVD_LABEL.instance}=${instance}`, ...(env === undefined ? [] : [`${ENVD_LABEL.env}=${env}`])],
  })

/** An instance's objects: services, secrets, networks on the manager, containers on every node. */
export async function swarmObjects(
  nodes: readonly LabNode[],
  instance: string,
  env?: number,
): Promise<{ services: number; secrets: number; networks: number; containers: number }> {
  const manager = nodes[0].docker
  const filters = filter(instance, env)
  const [services, secrets, networks, containers] = await Promise.all([
    manager.listServices({ filters }),
    manager.listSecrets({ filters }),
    env === undefined ? manager.listNetworks({ filters }) : Promise.resolve([]),
    Promise.all(nodes.map((n) => n.docker.listContainers({ all: true, filters }))),
  ])
  return {
    services: services.length,
    secrets: secrets.length,
    networks: networks.length,
    containers: containers.flat().length,
  }
}

/** The running container of one compose service of an environment, and the node it is on. */
export async function containerOn(
  nodes: readonly LabNode[],
  instance: string,
  env: number,
  service: string,
): Promise<{ node: LabNode; container: Dockerode.Container }> {
  const filters = JSON.stringify({
    label: [
      `${ENVD_LABEL.instance}=${instance}`,
      `${ENVD_LABEL.env}=${env}`,
      `io.levrt.role=envd:service:${service}`,
    ],
    status: ['running'],
  })
  for (const node of nodes) {
    const [c] = await node.docker.listContainers({ filters })
    if (c) return { node, container: node.docker.getContainer(c.Id) }
  }
  throw new Error(`no running container of ${service} in environment ${env}`)
}

/** Runs a command in a container; its exit code and output. */
export async function run(
  container: Dockerode.Container,
  cmd: string[],
): Promise<{ code: number; output: string }> {
  const e = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true })
  const stream = await e.start({})
  const chunks: Buffer[] = []
  const sink = { write: (c: Buffer) => chunks.push(c) } as unknown as NodeJS.WritableStream
  container.modem.demuxStream(stream, sink, sink)
  await new Promise((done) => stream.on('end', done))
  const { ExitCode } = await e.inspect()
  return { code: ExitCode ?? -1, output: Buffer.concat(chunks).toString('utf8') }
}

export const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString()
export const create = (svc: Service, body: Record<string, unknown>) =>
  call(svc.url, 'POST', '/env/create', { uid: 1, challenge: 1, compose_file: 'swarm/light.yaml', ...body })

/** GET /hostname from `host`:80 inside a container, with nc (this busybox's wget cannot resolve names). */
export const get = (container: Parameters<typeof run>[0], host: string) =>
  run(container, ['sh', '-c', `printf 'GET /hostname HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${host} 80`])

/** The address `name` resolves to inside a container (busybox ping prints it), or undefined. */
export async function resolves(
  container: Parameters<typeof run>[0],
  name: string,
): Promise<string | undefined> {
  const { output } = await run(container, ['ping', '-c', '1', '-W', '1', name])
  return /PING \S+ \(([\d.]+)\)/.exec(output)?.[1]
}

/** Rules of ours (levrt chains, jumps, comments) in the lab nodes' network namespaces. */
export function labRules(nodes: readonly LabNode[]): string[] {
  return nodes.flatMap((n) =>
    execFileSync('nsenter', [`--net=/var/run/netns/${n.name}`, 'iptables', '-S'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => /levrt/i.test(l))
      .map((l) => `${n.name}: ${l}`),
  )
}
