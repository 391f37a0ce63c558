import type Dockerode from 'dockerode'
import { statusOf } from '../../../docker/status'
import type { Placement } from '../backend'
import { DeployError } from '../backend'
import { proxyOptions, serviceOptions, type EnvContext } from './containers'
import { waitFor, waitHealthy, type GateOptions } from './gates'
import type { PortAllocator } from './ports'
import { waitForTcp, tcpAccepts } from './probe'
import { withComposeSettings } from './service-options'

/** How often a host port the host refused is swapped for another before giving up. */
const PORT_ATTEMPTS = 5

export interface DeployTools {
  readonly docker: Dockerode
  readonly ports: PortAllocator
  readonly nodeIp: string
  /** The engine is on this host: container addresses are reachable from here. */
  readonly local: boolean
  readonly readyTimeoutMs: number
  readonly proxyImage: string
  /** Removes the flag (if any) from what is shown to operators. */
  readonly redact: (text: string) => string
}

/**
 * Creates and starts an environment's containers in dependency order, each once the
 * `depends_on` conditions of what it waits for hold (a dependency that had to complete is then
 * removed), the published one on a reserved host port (another one if the host already uses it),
 * then waits for the healthchecks and the exposed port, all within the ready timeout.
 * Leaves cleaning up after a failure to the caller.
 */
export async function deployContainers(
  given: DeployTools,
  ctx: EnvContext,
  edge: string | undefined,
  placed: (p: Placement) => Promise<void>,
  signal: AbortSignal,
): Promise<Placement> {
  const deadline = Date.now() + given.readyTimeoutMs
  const flag = flagOf(ctx)
  const tools: DeployTools = { ...given, redact: (text) => hide(given.redact(text), flag) }
  const gate: GateOptions = { deadline, signal, redact: tools.redact }
  const { docker, ports } = tools
  let port = ports.reserve(ctx.id)
  await placed({ nodeIp: tools.nodeIp, nodePort: port })
  const containers: Dockerode.Container[] = []
  const byService = new Map<string, Dockerode.Container>()
  const removed = new Set<string>()
  let target: Dockerode.Container | undefined
  for (const service of ctx.plan.services) {
    signal.throwIfAborted()
    for (const dep of service.dependsOn) {
      const waited = byService.get(dep.service)
      if (!waited || removed.has(dep.service)) continue
      await waitFor(waited, dep.service, dep.condition, gate)
      if (dep.condition !== 'service_completed_successfully') continue
      // Done with its work: renew's health check wants every container running.
      await waited.remove({ force: true, v: true })
      removed.add(dep.service)
      containers.splice(containers.indexOf(waited), 1)
    }
    const publishes = !edge && service.name === ctx.plan.exposed.service
    const options = (p: number) =>
      withComposeSettings(
        serviceOptions(ctx, service, publishes ? p : undefined),
        service,
        ctx.hardening,
        flag,
        removed,
      )
    const started = await startPublishing(tools, ctx.id, port, (p) => create(docker, options(p)), publishes)
    if (started.port !== port) await placed({ nodeIp: tools.nodeIp, nodePort: (port = started.port) })
    containers.push(started.container)
    byService.set(service.name, started.container)
    if (service.name === ctx.plan.exposed.service) target = started.container
  }
  // A container that already exited has no address: say why it exited instead.
  const targetIp = await addressOn(target!, ctx.network).catch(async (err: Error) => {
    throw new DeployError((await whyNotRunning(tools, containers)) ?? err.message)
  })
  let proxy: Dockerode.Container | undefined
  if (edge) {
    signal.throwIfAborted()
    const started = await startPublishing(
      tools,
      ctx.id,
      port,
      async (p) => {
        const c = await create(docker, proxyOptions(ctx, tools.proxyImage, edge, targetIp, p))
        await docker.getNetwork(ctx.network).connect({ Container: c.id })
        return c
      },
      true,
    )
    if (started.port !== port) await placed({ nodeIp: tools.nodeIp, nodePort: (port = started.port) })
    containers.push((proxy = started.container))
  }
  const services = [...byService]
    .filter(([name]) => !removed.has(name))
    .map(([service, container]) => ({ service, container }))
  await waitHealthy(services, gate)
  await waitReady(
    tools,
    ctx,
    containers,
    targetIp,
    proxy ? await addressOn(proxy, edge!) : undefined,
    port,
    signal,
    deadline,
  )
  return { nodeIp: tools.nodeIp, nodePort: port }
}

/** The create's flag, when a variable needs it (null: none). */
function flagOf(ctx: EnvContext): string | null {
  return ctx.plan.services.some((s) => s.flagEnvironment.length) ? ctx.flag : null
}

function hide(text: string, flag: string | null): string {
  return flag ? text.split(flag).join('[flag]') : text
}

async function create(
  docker: Dockerode,
  options: Dockerode.ContainerCreateOptions,
): Promise<Dockerode.Container> {
  try {
    return await docker.createContainer(options)
  } catch (err) {
    if (statusOf(err) === 404 && /no such image/i.test(String(err))) {
      throw new DeployError(
        `image ${options.Image} is not on the engine ` +
          '(every node must have the images; the service does not pull)',
      )
    }
    throw err
  }
}

/** Starts a container; one whose host port is taken by someone else is made again on another port. */
async function startPublishing(
  tools: DeployTools,
  id: number,
  port: number,
  make: (port: number) => Promise<Dockerode.Container>,
  publishes: boolean,
): Promise<{ container: Dockerode.Container; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const container = await make(port)
    try {
      await container.start()
      return { container, port }
    } catch (err) {
      const taken = publishes && /port is already allocated|address already in use/i.test(String(err))
      await container.remove({ force: true, v: true }).catch(() => undefined)
      if (!taken || attempt >= PORT_ATTEMPTS) throw err
      tools.ports.refusedByHost(port)
      port = tools.ports.reserve(id)
    }
  }
}

async function addressOn(container: Dockerode.Container, network: string): Promise<string> {
  const info = await container.inspect()
  const ip = info.NetworkSettings.Networks?.[network]?.IPAddress
  if (!ip) throw new DeployError(`container ${info.Name} has no address on ${network}`)
  return ip
}

/**
 * Ready means: the exposed service accepts TCP connections on its port (probed at its own
 * address when the engine is local: the host's published port is answered by docker-proxy
 * whether or not anything listens behind it), then the forwarder and the published port do
 * too. A UDP port cannot be probed: its containers running is all we check.
 */
async function waitReady(
  tools: DeployTools,
  ctx: EnvContext,
  containers: readonly Dockerode.Container[],
  targetIp: string,
  proxyIp: string | undefined,
  hostPort: number,
  signal: AbortSignal,
  deadline: number,
): Promise<void> {
  const failed = () => whyNotRunning(tools, containers)
  if (ctx.plan.exposed.protocol === 'udp') {
    const why = await failed()
    if (why) throw new DeployError(why)
    return
  }
  const port = ctx.plan.exposed.port
  const wait = (host: string, p: number) =>
    waitForTcp(host, p, { deadline, signal, failed }).catch((err: unknown) => {
      if (signal.aborted) throw err
      throw new DeployError(`${(err as Error).message} (waited ${Math.round(tools.readyTimeoutMs / 1000)} s)`)
    })
  if (tools.local) {
    await wait(targetIp, port)
    if (proxyIp) await wait(proxyIp, port)
  }
  const published =
    tools.local && ctx.bindIp === '0.0.0.0' ? '127.0.0.1' : tools.local ? ctx.bindIp : tools.nodeIp
  if (!(await tcpAccepts(published, hostPort, 2000))) await wait(published, hostPort)
}

/** Why waiting is pointless: a container that exited (or keeps restarting), with its last output. */
async function whyNotRunning(
  tools: DeployTools,
  containers: readonly Dockerode.Container[],
): Promise<string | undefined> {
  for (const c of containers) {
    const info = await c.inspect()
    const state = info.State
    // A restart policy brings a crashed container back: three restarts is a crash loop.
    if ((state.Running || state.Restarting) && info.RestartCount < 3) continue
    const raw = (await c
      .logs({ stdout: true, stderr: true, tail: 10 })
      .catch(() => Buffer.alloc(0))) as unknown as Buffer
    const output = tools.redact(demuxText(raw)).trim()
    const what = `${state.Status} (exit code ${state.ExitCode}, restarts ${info.RestartCount})`
    return `${info.Name.replace(/^\//, '')} ${what}${output ? `: ${output}` : ''}`
  }
  return undefined
}

/** The engine's multiplexed log frames (8-byte headers) as plain text. */
function demuxText(raw: Buffer): string {
  const parts: Buffer[] = []
  let i = 0
  while (i + 8 <= raw.length && raw[i] <= 2 && raw[i + 1] === 0) {
    const size = raw.readUInt32BE(i + 4)
    parts.push(raw.subarray(i + 8, i + 8 + size))
    i += 8 + size
  }
  return i === 0 ? raw.toString('utf8') : Buffer.concat(parts).toString('utf8')
}
