import { LABEL, LABEL_SCHEMA } from '../../../docker/labels'
import { ENVD_LABEL, envLabels } from '../docker/labels'

/** What each swarm object of the service is, in its `io.levrt.role` label. */
export type SwarmRole =
  `envd:service:${string}` | 'envd:secret' | 'envd:network' | 'envd:guard' | 'envd:edge' | 'envd:proxy'

/** The compose service a swarm service runs (also in its role label). */
export const SERVICE_LABEL = 'io.levrt.envd.service'

/** Labels on every swarm object of one instance; `env` ties it to one environment. */
export function swarmLabels(
  instance: string,
  role: SwarmRole,
  env?: { id: number; uid: number; challenge: number; port?: number },
): Record<string, string> {
  return {
    [LABEL.managed]: LABEL_SCHEMA,
    [LABEL.role]: role,
    [ENVD_LABEL.instance]: instance,
    ...(env ? envLabels(env.id, env.uid, env.challenge, env.port) : {}),
  }
}

/**
 * Names on the swarm. A service name may hold neither dots nor more than 63 characters, and
 * compose names may: services are numbered in the plan's order, their compose name is a label.
 */
export const swarmNames = {
  service: (instance: string, id: number, index: number) => `levrt-envd-${instance}-${id}-s${index}`,
  secret: (instance: string, id: number) => `levrt-envd-${instance}-${id}-flag`,
  network: (instance: string, uid: number) => `levrt-envd-${instance}-u${uid}`,
  edge: (instance: string) => `levrt-envd-${instance}-edge`,
  proxy: (instance: string, id: number) => `levrt-envd-${instance}-${id}-proxy`,
  /**
   * The DNS search domain of one environment. Every service of it is aliased `<name>.<domain>`
   * on the uid's overlay, and its containers search that domain first (ndots:1): `db` finds this
   * environment's db, never that of another environment of the uid on the same overlay.
   */
  domain: (instance: string, id: number) => `e${id}.${instance}.envd`,
}
