import type Dockerode from 'dockerode'
import type { Condition } from '../../compose/plan'
import { DeployError } from '../backend'
import { pollUntil, type Look } from './probe'

export interface GateOptions {
  readonly deadline: number
  readonly signal: AbortSignal
  /** Removes the flag from what is shown (a healthcheck's or a container's output). */
  readonly redact: (text: string) => string
}

/**
 * Waits until a started service meets a `depends_on` condition: started (nothing to wait for),
 * healthy (its healthcheck passed), or completed successfully (it exited with 0). Rejects with
 * a DeployError saying what happened instead.
 */
export async function waitFor(
  container: Dockerode.Container,
  service: string,
  condition: Condition,
  options: GateOptions,
): Promise<void> {
  if (condition === 'service_started') return
  const look =
    condition === 'service_healthy'
      ? () => health(container, service, options.redact)
      : () => completion(container, service)
  const what = condition === 'service_healthy' ? `${service} becoming healthy` : `${service} completing`
  try {
    await pollUntil(look, what, options)
  } catch (err) {
    if (options.signal.aborted) throw err
    throw new DeployError((err as Error).message)
  }
}

/** Waits for every container that has a healthcheck (the file's or its image's) to be healthy. */
export async function waitHealthy(
  containers: readonly { container: Dockerode.Container; service: string }[],
  options: GateOptions,
): Promise<void> {
  for (const { container, service } of containers) {
    const info = await container.inspect()
    if (info.State.Health) await waitFor(container, service, 'service_healthy', options)
  }
}

async function health(
  container: Dockerode.Container,
  service: string,
  redact: (text: string) => string,
): Promise<Look> {
  const info = await container.inspect()
  const h = info.State.Health
  if (!h)
    return {
      failed:
        `${service} has no healthcheck, and another service waits for it to be healthy: ` +
        `add a healthcheck to ${service}`,
    }
  if (h.Status === 'healthy') return { met: true }
  const last = h.Log?.at(-1)
  const output = last?.Output?.trim()
  const said = last
    ? `: the last check exited ${last.ExitCode}${output ? ` saying ${redact(output).slice(-500)}` : ''}`
    : ''
  if (!info.State.Running)
    return {
      failed: `${service} ${info.State.Status} (exit code ${info.State.ExitCode}) before its check passed`,
    }
  if (h.Status === 'unhealthy') return { failed: `${service} is unhealthy${said}` }
  return undefined
}

async function completion(container: Dockerode.Container, service: string): Promise<Look> {
  const { State } = await container.inspect()
  if (State.Running || State.Restarting || State.Status === 'created') return undefined
  if (State.ExitCode === 0) return { met: true }
  return {
    failed: `${service} exited with code ${State.ExitCode}; another service waits for it to complete with 0`,
  }
}
