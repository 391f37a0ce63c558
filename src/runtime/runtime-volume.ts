import { randomBytes } from 'node:crypto'
import { content, packEntries, type RootfsEntry } from '../archive/pack'
import { NameTakenError, type Container, type Engine } from '../engine/engine'
import { LABEL, LABEL_SCHEMA, ownerLabels } from '../docker/labels'
import { ownerIsDead } from '../docker/labels'
import { COMPLETE_MARK, type NodeBundle } from './bundle'
import type { RuntimeMemo } from './memo'

/** Where the filling container mounts the volume (it is never started). */
const FILL_AT = '/levrt-fill'
const POLL_MS = 200
/** A filler that takes longer than this is presumed stuck (100 MB on a slow remote engine). */
const FILL_WAIT_MS = 10 * 60_000

export function runtimeVolumeName(bundle: NodeBundle): string {
  return `levrt-runtime-${bundle.key}`
}

/**
 * The shared, read-only volume holding our node, filled once per runtime version per engine
 * and reused by every later run. It carries no owner labels: plain `levrt gc` keeps it (it is
 * shared state, not a dead run's leftover); `levrt gc --all` removes it.
 *
 * Filling goes through the engine's API only (a created, never started container with the
 * volume mounted, and an archive upload into it), so it works on a remote engine. Concurrent
 * first uses are serialized by the engine itself: the filler container's name is the lock
 * (names are unique), and the completion mark is uploaded after everything else, so a volume
 * with the mark is whole; one without it (a filler that died) is filled again.
 */
export async function ensureRuntimeVolume(
  engine: Engine,
  image: string,
  bundle: NodeBundle,
  ready: RuntimeMemo['volumes'],
): Promise<string> {
  const cacheKey = `${engine.address}\0${bundle.key}`
  let done = ready.get(cacheKey)
  // Filled earlier in this process: one inspect (a couple of ms) makes sure nobody removed it
  // since (`levrt gc --all`); a run mounting a missing volume would get an empty one.
  if (done && !(await isOurs(engine, runtimeVolumeName(bundle), bundle.key))) done = undefined
  if (!done) {
    done = fill(engine, image, bundle)
    done.catch(() => ready.delete(cacheKey))
    ready.set(cacheKey, done)
  }
  return done
}

async function isOurs(engine: Engine, name: string, key: string): Promise<boolean> {
  return (await engine.volumeLabels(name))?.[LABEL.runtimeKey] === key
}

/** Makes sure the volume is filled, without the per-process cache (several processes do this). */
export async function fill(engine: Engine, image: string, bundle: NodeBundle): Promise<string> {
  const name = runtimeVolumeName(bundle)
  const keyLabel = { [LABEL.runtimeKey]: bundle.key }
  const labels = {
    [LABEL.managed]: LABEL_SCHEMA,
    [LABEL.run]: 'runtime',
    [LABEL.role]: 'runtime',
    ...keyLabel,
  }
  await engine.createVolume(name, labels)
  if (!(await isOurs(engine, name, bundle.key))) {
    // The engine made it, unlabelled, for a run that mounted it after it was removed: gc could
    // never find it. Replace it (a run still using it keeps it: then this fails, and says why).
    await engine.removeObject({ kind: 'volume', id: name, labels: {} })
    await engine.createVolume(name, labels)
  }
  const started = Date.now()
  for (;;) {
    let filler: Container
    try {
      filler = await engine.create({
        name: `levrt-runtime-fill-${bundle.key}`,
        image,
        // Never started: it only gives the archive API a way into the volume.
        entrypoint: ['/levrt-never-started'],
        cmd: [],
        env: [],
        labels: { ...ownerLabels(`runtime-${randomBytes(4).toString('hex')}`, 'runtime-fill'), ...keyLabel },
        network: { mode: 'bridge' },
        mounts: [{ kind: 'volume', name, target: FILL_AT, readOnly: false }],
      })
    } catch (err) {
      if (!(err instanceof NameTakenError)) throw err
      if (Date.now() - started > FILL_WAIT_MS)
        throw new Error(`gave up waiting for another process filling volume ${name}`, { cause: err })
      await waitForOtherFiller(engine, bundle.key)
      continue
    }
    try {
      if (!(await filler.stat(`${FILL_AT}/${COMPLETE_MARK}`))) {
        await filler.put(packEntries(bundle.entries.map(under), { addParents: false }))
        await filler.put(
          packEntries([content(`${FILL_AT}/${COMPLETE_MARK}`, `${bundle.nodeVersion}\n`)], {
            addParents: false,
          }),
        )
      }
    } finally {
      await filler.remove()
    }
    return name
  }
}

function under(entry: RootfsEntry): RootfsEntry {
  return { ...entry, path: FILL_AT + entry.path }
}

/** Waits while another filler exists; removes it if the process that made it is gone. */
async function waitForOtherFiller(engine: Engine, key: string): Promise<void> {
  for (;;) {
    const fillers = (await engine.list({ [LABEL.runtimeKey]: key })).filter((o) => o.kind === 'container')
    if (fillers.length === 0) return
    const dead = fillers.filter((o) => ownerIsDead(o.labels))
    if (dead.length) {
      await Promise.all(dead.map((o) => engine.removeObject(o)))
      continue
    }
    await new Promise((r) => setTimeout(r, POLL_MS))
  }
}
