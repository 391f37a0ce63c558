import { defaultContext, type Context } from '../context'
import { collectionName, DEFAULT_SCHEMA } from '../schema'
import type { RunSpec } from '../spec'
import { Task } from '../task'
import { ReusedRun } from './reused'
import { Run } from './run'

/** Starts one run of a spec in a namespace and hands it to a Task. */
export async function startRun(spec: RunSpec, namespace: readonly string[], ctx: Context = defaultContext()): Promise<Task> {
  const collection = collectionName(namespace, spec.schema ?? DEFAULT_SCHEMA)
  const run = new Run(spec, ctx, collection)
  await run.start()
  return new Task(run.reused ? new ReusedRun(run.reused) : run).asResolvedValue()
}
