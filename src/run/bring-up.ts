import type { RootfsEntry } from '../archive/pack'
import { ownerLabels } from '../docker/labels'
import { poolFromEnv } from '../docker/subnets'
import type { Engine, NetworkChoice } from '../engine/engine'
import { engineAway } from '../engine/health'
import { ServiceError } from '../errors'
import type { OutputHub } from '../output'
import type { RunSpec } from '../run-spec'
import type { RuntimeMemo } from '../runtime/memo'
import { hostModeNames } from './host-mode'
import { launch, type Launched, type Role } from './launch'
import type { RunObjects } from './objects'
import { portFailure, PortWaitError, waitForPorts } from './ports'
import type { Prepared } from './prepare'
import type { StopRequest } from './stop'

/** What bringing a run up works with. */
export interface RunScope {
  readonly id: string
  readonly engine: Engine
  readonly runtime: RuntimeMemo
  readonly prepared: Prepared
  /** Everything created is added here at once, so that teardown finds it whatever happens next. */
  readonly objects: RunObjects
  readonly stop: StopRequest
  /** Taps the main container's output (live log, idle detection); undefined: nothing reads it. */
  readonly watch: ((hub: OutputHub) => OutputHub) | undefined
}

/**
 * Starts the run's network, services (their ports waited for), links and main container, and
 * waits for the main container's ports. Throws on the first failure; the caller tears down.
 */
export async function bringUp(scope: RunScope): Promise<Launched> {
  const { prepared, objects, stop, engine } = scope
  const { spec } = prepared
  if (!spec.host && (spec.services.length > 0 || spec.links.length > 0)) {
    const name = `levrt-${scope.id}`
    objects.network = await engine
      .createNetwork(name, ownerLabels(scope.id, 'network'), { pool: poolFromEnv() })
      .catch((err: unknown) => {
        if (engineAway(err)) objects.addUncertain('network', name)
        throw err
      })
  }
  await Promise.all(
    spec.services.map(([name, s], i) => startService(scope, name, s, prepared.serviceFiles[i])),
  )
  stop.throwIfStopped()
  const extraHosts = spec.host ? await hostModeNames(engine, spec) : undefined
  if (objects.network)
    for (const [host, aliases] of aliasesByHost(spec.links)) await objects.link(host, aliases)
  const role: Role = { kind: 'main' }
  const main = await start(
    scope,
    spec,
    `levrt-${scope.id}`,
    role,
    prepared.mainFiles,
    networkFor(scope, []),
    extraHosts,
  )
  await waitPorts(scope, main, spec).catch(async (err: unknown) => {
    throw err instanceof PortWaitError
      ? await portFailure(main.container, spec.image, spec.portTimeoutMs, err, stop.error())
      : err
  })
  stop.throwIfStopped()
  return main
}

async function startService(
  scope: RunScope,
  name: string,
  spec: RunSpec,
  files: readonly RootfsEntry[],
): Promise<void> {
  let launched: Launched | undefined
  try {
    launched = await start(
      scope,
      spec,
      `levrt-${scope.id}-${name}`,
      { kind: 'service', name },
      files,
      networkFor(scope, [name]),
    )
    await waitPorts(scope, launched, spec)
  } catch (err) {
    scope.stop.throwIfStopped()
    const logs = launched ? await launched.container.tail(20).catch(() => '') : ''
    const cause =
      launched && err instanceof PortWaitError
        ? await portFailure(launched.container, spec.image, spec.portTimeoutMs, err, undefined)
        : err
    throw new ServiceError(name, spec.image, logs, cause)
  }
}

function networkFor(scope: RunScope, aliases: readonly string[]): NetworkChoice {
  if (scope.prepared.spec.host) return { mode: 'host' }
  const network = scope.objects.network
  return network ? { mode: 'user', name: network.name, aliases } : { mode: 'bridge' }
}

function waitPorts(scope: RunScope, launched: Launched, spec: RunSpec): Promise<void> {
  const target = { container: launched.container, host: spec.host, exited: launched.exited }
  return waitForPorts(scope.engine, scope.id, target, spec.ports, spec.portTimeoutMs, scope.stop.signal, {
    created: (probe) => scope.objects.addContainer(probe),
    uncertain: (name) => scope.objects.addUncertain('container', name),
  })
}

function start(
  scope: RunScope,
  spec: RunSpec,
  name: string,
  role: Role,
  files: readonly RootfsEntry[],
  network: NetworkChoice,
  extraHosts?: string[],
): Promise<Launched> {
  return launch(scope.engine, {
    runId: scope.id,
    spec,
    name,
    role,
    files,
    network,
    extraHosts,
    image: role.kind === 'main' ? scope.prepared.image : undefined,
    runtime: scope.runtime,
    created: (container) => scope.objects.addContainer(container),
    uncertain: (name) => scope.objects.addUncertain('container', name),
    checkStopped: () => scope.stop.throwIfStopped(),
    watch: scope.watch,
  })
}

/** `{ web: t.host, www: t.host }`: one task under two names is one endpoint with both aliases. */
function aliasesByHost(links: RunSpec['links']): Map<string, string[]> {
  const byHost = new Map<string, string[]>()
  for (const [alias, host] of links) byHost.set(host, [...(byHost.get(host) ?? []), alias])
  return byHost
}
