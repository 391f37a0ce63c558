import { splitBinds } from '../archive/files'
import type { RootfsEntry } from '../archive/pack'
import { uploadTar } from '../archive/recycled'
import type { Container, ContainerSpec, Engine, ImageInfo, NetworkChoice } from '../engine/engine'
import { engineAway } from '../engine/health'
import { ownerLabels } from '../docker/labels'
import { ContainerStartError, describe, NoNodeError } from '../errors'
import { OutputHub } from '../output'
import { entryNode } from '../runtime/image-node'
import type { RuntimeMemo } from '../runtime/memo'
import { RESULTS_MOUNT, ship } from '../runtime/ship'
import type { RunSpec } from '../run-spec'

/** A started container of a run. */
export interface Launched {
  readonly container: Container
  /** The container's output (the main container's only: sidecars are read through `tail`). */
  readonly output: OutputHub | undefined
  /** The exit code, once the container stops. */
  readonly exited: Promise<number>
}

/** The main container keeps results and output; a sidecar needs neither. */
export type Role = { readonly kind: 'main' } | { readonly kind: 'service'; readonly name: string }

export interface LaunchRequest {
  readonly runId: string
  /** The container's own spec (a service's limits already include the run's). */
  readonly spec: RunSpec
  readonly name: string
  readonly role: Role
  readonly files: readonly RootfsEntry[]
  readonly network: NetworkChoice
  readonly extraHosts?: readonly string[]
  /** The main image as the run inspected it (user, env, arch); undefined for a service. */
  readonly image: ImageInfo | undefined
  /** Called as soon as the container exists, so that teardown removes it whatever happens next. */
  readonly created: (container: Container) => void
  /** Called when the create was cut off by the engine going away: the container may exist all the same. */
  readonly uncertain: (name: string) => void
  /** Throws if the run was stopped meanwhile. */
  readonly checkStopped: () => void
  /** Which node runs entries, and the runtime volume: what the context knows already. */
  readonly runtime: RuntimeMemo
  /**
   * Taps the main container's output (live log, idle detection). Undefined: nothing reads it, so
   * the main container is not attached (the engine keeps its log; a failure's tail comes from there).
   */
  readonly watch: ((hub: OutputHub) => OutputHub) | undefined
}

/** Creates a container, puts its files in, attaches to its output, and starts it. */
export async function launch(engine: Engine, req: LaunchRequest): Promise<Launched> {
  const { spec, role } = req
  const main = role.kind === 'main'
  // Only the main container keeps results: a sidecar's records folder would go unread.
  const nonRoot = main && !isRoot(req.image?.user ?? '')
  // Which node runs the entry is decided (and the runtime volume made) before the container exists.
  const node = spec.entry
    ? await entryNode(engine, req.runtime, spec.image, req.runId, main ? req.image : undefined)
    : undefined
  const shipment = ship(req.runId, spec.entry, nonRoot, () => req.runtime.sources(), node)
  const { upload: files, mounts: binds } = splitBinds(req.files)
  const mounts = [...shipment.mounts, ...binds]
  const container = await createTracked(engine, req, {
    name: req.name,
    image: spec.image,
    limits: spec.limits,
    entrypoint: shipment.entrypoint,
    cmd: spec.entry ? (spec.cmd ?? []) : spec.cmd,
    env: [...shipment.env, ...spec.env],
    labels: ownerLabels(req.runId, main ? 'main' : `service:${role.name}`),
    network: req.network,
    extraHosts: req.extraHosts,
    tmpfs: main ? [RESULTS_MOUNT] : undefined,
    mounts: mounts.length ? mounts : undefined,
  })
  req.created(container)
  req.checkStopped()
  const upload = [...shipment.files, ...files]
  // Each upload costs the engine a filesystem mount: skipped when there is nothing to put.
  const watch = main ? req.watch : undefined
  const [, output] = await Promise.all([
    upload.length ? container.put(uploadTar(upload)) : undefined,
    watch ? container.attach().then((o) => watch(new OutputHub(o))) : undefined,
  ])
  req.checkStopped()
  try {
    await container.start()
  } catch (err) {
    // The volume may have been removed meanwhile: the next run checks it again.
    if (node?.kind === 'ours') req.runtime.volumes.clear()
    if (
      spec.entry &&
      err instanceof ContainerStartError &&
      /executable file not found|no such file or directory/i.test(describe(err.cause))
    ) {
      throw new NoNodeError(
        spec.image,
        `its node could not be started (${describe(err.cause)})`,
        err.logs,
        err.cause,
      )
    }
    throw err
  }
  const exited = container.wait()
  exited.catch(() => undefined) // awaited by the started run; a lost engine must not crash the process meanwhile
  return { container, output, exited }
}

async function createTracked(engine: Engine, req: LaunchRequest, spec: ContainerSpec): Promise<Container> {
  try {
    return await engine.create(spec)
  } catch (err) {
    if (engineAway(err)) req.uncertain(spec.name)
    throw err
  }
}

/** Whether a container user (`name`, `uid`, `uid:gid`, or '' for the default) is root. */
function isRoot(user: string): boolean {
  const name = user.split(':')[0]
  return name === '' || name === 'root' || name === '0'
}
