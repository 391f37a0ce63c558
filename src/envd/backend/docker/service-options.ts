import type Dockerode from 'dockerode'
import { render } from '../../compose/interpolate'
import { appliedLimits } from '../../compose/limits'
import type { PlanHealthcheck, PlanService } from '../../compose/plan'
import type { Hardening } from '../../options'

/** A healthcheck's longest interval: Docker 20.10 first runs it one interval after start; CREATED waits. */
const MAX_HEALTH_INTERVAL_MS = 5000
const MAX_STOP_SECONDS = 60

/**
 * What the compose file adds to a service's container beyond containers.ts's options: the flag
 * variables (the flag filled in here, at the last moment), the file's limits held to the caps,
 * the healthcheck, tty/stdin, the stop settings. Links to containers already removed (one-shot
 * services that completed) are dropped.
 */
export function withComposeSettings(
  options: Dockerode.ContainerCreateOptions,
  service: PlanService,
  hardening: Hardening,
  flag: string | null,
  removed: ReadonlySet<string>,
): Dockerode.ContainerCreateOptions {
  const limits = appliedLimits(service.limits, hardening)
  const host = options.HostConfig ?? {}
  const endpoints = options.NetworkingConfig?.EndpointsConfig ?? {}
  return {
    ...options,
    Env: [
      ...(options.Env ?? []),
      ...service.flagEnvironment.map((v) => `${v.name}=${render(v.value, flag)}`),
    ],
    Tty: service.tty,
    OpenStdin: service.stdinOpen,
    StopTimeout:
      service.stopGraceSeconds === undefined
        ? undefined
        : Math.min(service.stopGraceSeconds, MAX_STOP_SECONDS),
    StopSignal: service.stopSignal,
    Healthcheck: service.healthcheck ? healthcheck(service.healthcheck) : undefined,
    HostConfig: {
      ...host,
      RestartPolicy:
        service.restartRetries === undefined
          ? host.RestartPolicy
          : { Name: 'on-failure', MaximumRetryCount: service.restartRetries },
      NanoCpus: limits.nanoCpus,
      Memory: limits.memoryBytes,
      MemorySwap: limits.memoryBytes, // no swap beyond the limit
      PidsLimit: limits.pids,
      ShmSize: limits.shmBytes,
      Ulimits: limits.ulimits.length
        ? limits.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard }))
        : undefined,
    },
    NetworkingConfig: {
      EndpointsConfig: Object.fromEntries(
        Object.entries(endpoints).map(([net, e]) => [
          net,
          { ...e, Links: e.Links?.filter((l) => !removed.has(l.split(':')[1])) },
        ]),
      ),
    },
  }
}

function healthcheck(h: PlanHealthcheck): Dockerode.HealthConfig {
  const ns = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms * 1e6))
  return {
    Test: h.test ? [...h.test] : undefined,
    Interval: ns(Math.min(h.intervalMs || MAX_HEALTH_INTERVAL_MS, MAX_HEALTH_INTERVAL_MS)),
    Timeout: ns(h.timeoutMs),
    StartPeriod: ns(h.startPeriodMs),
    Retries: h.retries,
  }
}
