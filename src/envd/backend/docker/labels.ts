import { LABEL, LABEL_SCHEMA } from '../../../docker/labels'

/**
 * Labels on everything the environment service creates. `io.levrt.managed` (as on every levrt
 * object) but no owner pid: environments outlive the process that made them, so `levrt gc`
 * leaves them alone (only `gc --all` takes them); the service's own sweep removes those the
 * store no longer knows.
 */
export const ENVD_LABEL = {
  instance: 'io.levrt.envd.instance',
  env: 'io.levrt.envd.env',
  uid: 'io.levrt.envd.uid',
  challenge: 'io.levrt.envd.challenge',
  /** The host port an environment is published on (on each of its containers). */
  port: 'io.levrt.envd.port',
} as const

export type EnvdRole =
  `envd:service:${string}` | 'envd:proxy' | 'envd:network' | 'envd:edge' | 'envd:volume' | 'envd:flag'

export function envdLabels(
  instance: string,
  role: EnvdRole,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return { [LABEL.managed]: LABEL_SCHEMA, [LABEL.role]: role, [ENVD_LABEL.instance]: instance, ...extra }
}

/** The labels that tie an object to one environment. */
export function envLabels(id: number, uid: number, challenge: number, port?: number): Record<string, string> {
  return {
    [ENVD_LABEL.env]: String(id),
    [ENVD_LABEL.uid]: String(uid),
    [ENVD_LABEL.challenge]: String(challenge),
    ...(port === undefined ? {} : { [ENVD_LABEL.port]: String(port) }),
  }
}

export const names = {
  container: (instance: string, id: number, service: string) => `levrt-envd-${instance}-${id}-${service}`,
  proxy: (instance: string, id: number) => `levrt-envd-${instance}-${id}--proxy`,
  volume: (instance: string, id: number, volume: string) => `levrt-envd-${instance}-${id}-${volume}`,
  flag: (instance: string, id: number) => `levrt-envd-${instance}-${id}--flag`,
  network: (instance: string, uid: number) => `levrt-envd-${instance}-u${uid}`,
  edge: (instance: string) => `levrt-envd-${instance}-edge`,
}

/** Docker's label filter syntax for `listContainers` and friends. */
export function labelFilter(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify({ label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) })
}
