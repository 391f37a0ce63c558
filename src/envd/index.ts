import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type Dockerode from 'dockerode'
import type { FastifyInstance } from 'fastify'
import { connectDocker, engineAddress, isLocalAddress } from '../docker/connection'
import { storeFromEnv, type Store } from '../store'
import { backendKind, makeBackend, type BackendKind, type Isolation } from './backend/select'
import { NodeGuard } from './backend/swarm/guard'
import { NodeFirewall } from './backend/docker/firewall'
import { iptables, NodeIsolationError } from './backend/docker/iptables'
import { ComposePolicy } from './compose/policy'
import { lockDataDir } from './data-lock'
import { EnvdMetrics } from './metrics'
import { api, buildApp } from './http/app'
import { resolveOptions, type EnvdInput, type EnvdOptions } from './options'
import { Reaper } from './state/reaper'
import { EnvRepository } from './state/repository'
import { Environments } from './state/service'

export { resolveOptions, EnvdOptionsError, type EnvdInput, type EnvdOptions } from './options'
export { ENV_COLLECTION } from './state/repository'
export { ENVD_LABEL } from './backend/docker/labels'
export { NodeIsolationError } from './backend/docker/iptables'

/** A running environment service. */
export interface Envd {
  /** `http://host:port` it listens on. */
  readonly url: string
  readonly options: EnvdOptions
  readonly app: FastifyInstance
  readonly environments: Environments
  /** Closes the server and stops reaping; environments stay (they are state). */
  close(): Promise<void>
}

/**
 * Starts `levrt envd`: loads the stored environments (the store the SDK uses: LEV_MONGO_URL, or
 * the embedded store in LEV_HOME), reclaims what expired while it was down, sweeps what the
 * store no longer knows, then listens.
 */
export async function startEnvd(
  input: EnvdInput | EnvdOptions,
  store: Store = storeFromEnv(),
): Promise<Envd> {
  const options = 'dataDir' in input ? input : resolveOptions(input)
  const local = isLocalAddress(engineAddress())
  const docker = connectDocker()
  const kind = await backendKind(docker, options)
  // Before anything is made: a node that cannot be isolated is refused with nothing to undo.
  const isolation = options.nodeIsolation ? await nodeIsolation(docker, kind, options, local) : undefined
  await mkdir(join(options.dataDir, 'compose'), { recursive: true })
  const unlock = await lockDataDir(options.dataDir)
  try {
    if (options.blockEgress) await docker.getImage(options.proxyImage).inspect()
    const app = buildApp(options)
    const chosen = makeBackend(
      docker,
      options,
      kind,
      local,
      app.log.child({ component: 'backend' }),
      isolation,
    )
    // eslint-disable-next-line prefer-const -- the metrics read the environments once they exist
    let environments: Environments | undefined
    const metrics = new EnvdMetrics(() => environments)
    const backend = metrics.wrap(chosen, kind)
    environments = new Environments(
      new EnvRepository(store, options.instance, join(options.dataDir, `unsaved-${options.instance}.ejson`)),
      backend,
      new ComposePolicy(options.hardening.capAllow),
      {
        composeRoot: join(options.dataDir, 'compose'),
        maxPerUid: options.maxPerUid,
        maxTotal: options.maxTotal,
        maxLifetimeMs: options.maxLifetimeMs,
      },
      app.log.child({ component: 'envd' }),
    )
    await app.register(api, { environments, engineAlive: () => backend.ping(), token: options.token })
    app.get('/metrics', async (_request, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
    )
    await app.ready()
    return await serve(options, app, environments, unlock)
  } catch (err) {
    await unlock()
    throw err
  }
}

/**
 * Node isolation, once it is known to work: on one engine, rules installed here (which only guard
 * an engine on this host); on a swarm, the node guard service (which needs a recent manager).
 */
async function nodeIsolation(
  docker: Dockerode,
  kind: BackendKind,
  options: EnvdOptions,
  local: boolean,
): Promise<Isolation> {
  if (kind === 'swarm') {
    const guard = new NodeGuard(docker, options.instance, options.proxyImage)
    await guard.check()
    return { kind, guard }
  }
  if (!local)
    throw new NodeIsolationError(
      `the engine is not on this host (${engineAddress()}), so rules installed here would not guard it`,
    )
  const firewall = new NodeFirewall(iptables(), options.instance)
  await firewall.check()
  return { kind, firewall }
}

async function serve(
  options: EnvdOptions,
  app: FastifyInstance,
  environments: Environments,
  unlock: () => Promise<void>,
): Promise<Envd> {
  await environments.start()
  const reaper = new Reaper(
    () => environments.reap(),
    options.reapEveryMs,
    app.log.child({ component: 'reaper' }),
  )
  await reaper.start()
  try {
    await app.listen({ host: options.host, port: options.port })
  } catch (err) {
    await reaper.stop()
    await environments.close()
    throw err
  }
  const bound = app.server.address()
  const port = typeof bound === 'object' && bound ? bound.port : options.port
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  let closing: Promise<void> | undefined
  return {
    url: `http://${host}:${port}`,
    options,
    app,
    environments,
    close: () =>
      (closing ??= (async () => {
        await app.close()
        await reaper.stop()
        await environments.close()
        await unlock()
      })()),
  }
}
