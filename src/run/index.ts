import { DockerEngine } from '../engine/docker-engine'
import type { Engine } from '../engine/engine'
import { collectionName, DEFAULT_SCHEMA } from '../schema'
import type { RunSpec } from '../spec'
import { levHome, storeFromEnv } from '../store'
import { Task } from '../task'
import { Run } from './run'

let engine: Engine | undefined

export function sharedEngine(): Engine {
  engine ??= new DockerEngine()
  return engine
}

/** Starts one run of a spec in a namespace and hands it to a Task. The store is the environment's now. */
export async function startRun(spec: RunSpec, namespace: readonly string[]): Promise<Task> {
  const collection = collectionName(namespace, spec.schema ?? DEFAULT_SCHEMA)
  const run = new Run(spec, sharedEngine(), storeFromEnv(), collection, levHome())
  await run.start()
  return new Task(run).asResolvedValue()
}
