import { ObjectId } from 'bson'
import { DockerEngine } from './engine/docker-engine'
import type { Engine } from './engine/engine'
import { ownerLabels } from './engine/labels'
import { OutputHub } from './output'
import { collectionName, DEFAULT_SCHEMA } from './schema'
import type { RunSpec } from './spec'
import { storeFromEnv } from './store'
import { Task } from './task'

let engine: Engine | undefined

/** Starts one run of a spec: the container is created, started and handed to a Task. */
export async function startRun(spec: RunSpec): Promise<Task> {
  engine ??= new DockerEngine()
  const store = storeFromEnv()
  // An ObjectId is unique across hosts and sorts by time: it names the document and the container.
  const id = new ObjectId().toHexString()
  const container = await engine.create({
    name: `levrt-${id}`,
    image: spec.image,
    cmd: spec.cmd,
    env: spec.env,
    labels: ownerLabels(id, 'main'),
    network: spec.host ? 'host' : 'bridge',
  })
  let output: OutputHub
  try {
    output = new OutputHub(await container.attach())
    await container.start()
  } catch (err) {
    await container.remove().catch(() => undefined)
    throw err
  }
  const task = new Task({
    id,
    image: spec.image,
    container,
    output,
    store,
    collection: collectionName([], spec.schema ?? DEFAULT_SCHEMA),
    startedAt: new Date(),
  })
  return task.asResolvedValue()
}
