import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ownerFilter, reaperLabels } from '../docker/labels'
import type { Engine, ImageInfo } from '../engine/engine'
import { bundleUnavailable, OWN_NODE, RUNTIME_DIR } from '../runtime/bundle'
import type { RuntimeMemo } from '../runtime/memo'
import { ensureRuntimeVolume } from '../runtime/runtime-volume'
import { reaperWanted } from './setting'

/** Which engines a context has a reaper on (or gave up on): one per engine, made by the first run. */
export type Reapers = WeakMap<Engine, Promise<void>>

/** Where the engine's socket is inside the reaper's container. */
const SOCKET_IN = '/var/run/docker.sock'

/**
 * The session reaper, in the spirit of testcontainers' Ryuk but built from what levrt has: a
 * container of the first run's image (present: the run just inspected it; nothing is pulled)
 * running levrt's own node from the runtime volume, with the engine's socket mounted. Its stdin
 * is held by this process (Engine.holdSession); when the process dies without cleaning up
 * (SIGKILL, a crash, a second Ctrl-C) the engine ends that stdin and the reaper removes every
 * object carrying this process's owner labels, then itself (src/reaper/reaper-script.js).
 *
 * Started once per engine per context, by its first run; never fails a run: where it cannot
 * run, one line on stderr says so and `levrt gc` remains the way to clean up.
 */
export function reaperOnce(
  engine: Engine,
  image: ImageInfo,
  runtime: RuntimeMemo,
  reapers: Reapers,
): Promise<void> {
  let started = reapers.get(engine)
  if (!started) {
    started = startReaper(engine, image, runtime).catch((err: unknown) => {
      const why = err instanceof Error ? err.message.split('\n')[0] : String(err)
      noReaper(engine, why)
    })
    reapers.set(engine, started)
  }
  return started
}

async function startReaper(engine: Engine, image: ImageInfo, runtime: RuntimeMemo): Promise<void> {
  if (!reaperWanted() || !engine.holdSession) return
  const unavailable = bundleUnavailable()
  if (unavailable) return noReaper(engine, unavailable)
  if (image.arch && image.arch !== 'amd64')
    return noReaper(engine, `its container would use the first run's image, which is for ${image.arch}`)
  const volume = await ensureRuntimeVolume(engine, image.id, await runtime.nodeBundle(), runtime.volumes)
  await engine.holdSession({
    name: `levrt-reaper-${process.pid}-${randomBytes(4).toString('hex')}`,
    image: image.id,
    entrypoint: [...OWN_NODE, '-e', readFileSync(join(__dirname, 'reaper-script.js'), 'utf8')],
    cmd: [],
    env: [`LEVRT_REAPER_SOCKET=${SOCKET_IN}`, `LEVRT_REAPER_LABELS=${JSON.stringify(ownerFilter())}`],
    labels: reaperLabels(),
    network: { mode: 'none' },
    mounts: [
      { kind: 'volume', name: volume, target: RUNTIME_DIR, readOnly: true },
      { kind: 'bind', source: engineSocket(engine), target: SOCKET_IN, readOnly: false },
    ],
  })
}

/**
 * The engine's socket as the engine's own host sees it: the path we connect to for a local
 * engine, else the usual path (a remote engine without it refuses the bind: no reaper).
 */
function engineSocket(engine: Engine): string {
  return engine.local && engine.address.startsWith('unix://')
    ? engine.address.slice('unix://'.length)
    : SOCKET_IN
}

function noReaper(engine: Engine, why: string): void {
  process.stderr.write(
    `levrt: no session reaper on ${engine.address} (${why}): if this process dies, \`levrt gc\` removes what it leaves (LEVRT_REAPER=off to not try)\n`,
  )
}
