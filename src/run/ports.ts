import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Container, Engine } from '../engine/engine'
import { engineAway } from '../engine/health'
import { ownerLabels } from '../docker/labels'
import { ContainerStartError, PortTimeoutError } from '../errors'
import { AbortedError } from './errors'

/** Image of the probe used where the host cannot reach the container (remote engines). */
export const PROBE_IMAGE = 'levrt/busybox'

export interface PortTarget {
  readonly container: Container
  /** On the host network: its ports are the engine host's. */
  readonly host: boolean
  /** Settles when the container stops: a port that can no longer open fails at once. */
  readonly exited: Promise<unknown>
}

export class PortWaitError extends Error {
  constructor(
    readonly port: number,
    readonly reason: 'timeout' | 'exited' | 'aborted',
  ) {
    super(
      reason === 'timeout'
        ? `port ${port} did not open in time`
        : reason === 'exited'
          ? `the container stopped before port ${port} opened`
          : `the wait for port ${port} was aborted`,
    )
  }
}

/**
 * Resolves once every port accepts TCP connections. On a local engine the host connects to the
 * container's own address: a real handshake with the listening socket, no proxy in between, and
 * no need for a shell in the image. Where that address cannot be reached (a remote engine,
 * `LEV_PORT_PROBE=container`), a probe container joins the target's network namespace and
 * watches its listening sockets in /proc/net/tcp, which also needs nothing from the image.
 */
export async function waitForPorts(
  engine: Engine,
  runId: string,
  target: PortTarget,
  ports: readonly number[],
  timeoutMs: number,
  signal: AbortSignal,
  track?: ProbeTracking,
): Promise<void> {
  if (ports.length === 0) return
  const deadline = Date.now() + timeoutMs
  const address = target.host ? '127.0.0.1' : await target.container.ip()
  // A stopped container has no address, and no namespace for a probe to join.
  if (await hasSettled(target.exited)) throw new PortWaitError(ports[0], 'exited')
  const direct = engine.local && address !== undefined && process.env.LEV_PORT_PROBE !== 'container'
  if (direct) {
    const reachable = await Promise.all(
      ports.map((port) => connectLoop(address, port, deadline, target.exited, signal)),
    )
    if (reachable.every(Boolean)) return
  }
  await probeInside(engine, runId, target, ports, deadline, signal, track)
}

/** True once the port accepts a connection; false if the address turns out unreachable. */
async function connectLoop(
  address: string,
  port: number,
  deadline: number,
  exited: Promise<unknown>,
  signal: AbortSignal,
): Promise<boolean> {
  let stopped = false
  void exited.then(() => (stopped = true))
  for (;;) {
    const result = await attempt(address, port, Math.min(1_000, Math.max(1, deadline - Date.now())))
    if (result === 'open') return true
    if (result === 'unreachable') return false
    if (signal.aborted) throw new PortWaitError(port, 'aborted')
    if (stopped) throw new PortWaitError(port, 'exited')
    if (Date.now() >= deadline) throw new PortWaitError(port, 'timeout')
    await sleep(10, undefined, { signal }).catch(() => undefined)
  }
}

/** Whether a promise has settled by now (one turn of the event loop). */
async function hasSettled(promise: Promise<unknown>): Promise<boolean> {
  const pending = Symbol('pending')
  const first = await Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    sleep(0, pending),
  ])
  return first !== pending
}

function attempt(host: string, port: number, timeoutMs: number): Promise<'open' | 'closed' | 'unreachable'> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    const settle = (result: 'open' | 'closed' | 'unreachable') => {
      socket.destroy()
      resolve(result)
    }
    socket.setTimeout(timeoutMs, () => settle('unreachable'))
    socket.once('connect', () => settle('open'))
    socket.once('error', (err: NodeJS.ErrnoException) =>
      settle(err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH' ? 'unreachable' : 'closed'),
    )
  })
}

/** The run's objects learn of its probe, so that its teardown removes it if the probe's own removal fails. */
export interface ProbeTracking {
  created(probe: Container): void
  uncertain(name: string): void
}

async function probeInside(
  engine: Engine,
  runId: string,
  target: PortTarget,
  ports: readonly number[],
  deadline: number,
  signal: AbortSignal,
  track?: ProbeTracking,
): Promise<void> {
  // State 0A is LISTEN; ports appear in upper-case hex after the local address.
  const hex = ports.map((p) => p.toString(16).toUpperCase().padStart(4, '0'))
  const script =
    `for p in ${hex.join(' ')}; do ` +
    `until cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -q ":$p [0-9A-F:]* 0A "; do sleep 0.05; done; done`
  const name = `levrt-${runId}-probe-${target.container.id.slice(0, 12)}`
  const probe = await engine
    .create({
      name,
      image: PROBE_IMAGE,
      cmd: ['sh', '-c', script],
      env: [],
      labels: ownerLabels(runId, 'probe'),
      network: target.host ? { mode: 'host' } : { mode: 'container', id: target.container.id },
    })
    .catch((err: unknown) => {
      if (engineAway(err)) track?.uncertain(name)
      throw err
    })
  track?.created(probe)
  const timer = new AbortController()
  try {
    await probe.start().catch(async (err: unknown) => {
      throw (await hasSettled(target.exited)) ? new PortWaitError(ports[0], 'exited') : err
    })
    const timeout = sleep(Math.max(0, deadline - Date.now()), 'timeout' as const, {
      signal: timer.signal,
    }).catch(() => 'aborted' as const)
    const aborted = new Promise<'aborted'>((resolve) =>
      signal.addEventListener('abort', () => resolve('aborted'), { once: true, signal: timer.signal }),
    )
    const outcome = signal.aborted
      ? 'aborted'
      : await Promise.race([
          probe.wait().then(() => 'open' as const),
          target.exited.then(() => 'exited' as const),
          timeout,
          aborted,
        ])
    if (outcome !== 'open') throw new PortWaitError(ports[0], outcome)
  } finally {
    timer.abort() // the timer must not keep the process alive
    await probe.remove()
  }
}

/**
 * The error for a port wait that failed: a `PortTimeoutError` or (the container exited first) a
 * `ContainerStartError`, each with the container's last output; the stop's error if stopped.
 */
export async function portFailure(
  container: Container,
  image: string,
  timeoutMs: number,
  err: PortWaitError,
  stopped: Error | undefined,
): Promise<Error> {
  if (err.reason === 'aborted') return stopped ?? new AbortedError(undefined)
  const logs = await container.tail(20).catch(() => '')
  return err.reason === 'timeout'
    ? new PortTimeoutError(image, err.port, timeoutMs, logs)
    : new ContainerStartError(image, logs, err)
}
