import type Dockerode from 'dockerode'
import { proxySpec, serviceSpec, type SwarmEnvContext } from './spec'
import type { WatchedService } from './watch'

/**
 * Creates an environment's swarm services in the plan's order, and its forwarder when the
 * context has an edge overlay (--block-egress); answers what the deploy watches, the service
 * that publishes the port marked `exposed`.
 */
export async function createServices(
  docker: Dockerode,
  ctx: SwarmEnvContext,
  proxyImage: string,
  signal: AbortSignal,
): Promise<WatchedService[]> {
  const services: WatchedService[] = []
  for (const [index, s] of ctx.plan.services.entries()) {
    signal.throwIfAborted()
    const created = await docker.createService(serviceSpec(ctx, index))
    services.push({ id: created.id, name: s.name, exposed: !ctx.edge && s.name === ctx.plan.exposed.service })
  }
  if (ctx.edge) {
    signal.throwIfAborted()
    const created = await docker.createService(proxySpec(ctx, proxyImage))
    services.push({ id: created.id, name: 'proxy', exposed: true, relay: true })
  }
  return services
}
