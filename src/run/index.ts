import { currentContext, type Context } from '../context'
import type { RunSpec } from '../run-spec'
import { collectionName, DEFAULT_SCHEMA } from '../schema'
import { Task } from '../task'
import { startWhenEngineAnswers } from './engine-wait'
import { prepare } from './prepare'
import { ReusedRun } from './reused'
import { Run } from './run'

/**
 * What the caller wants of a run: its results (`awaited`: with `reuse`, an earlier run may stand
 * in), or a running container (`started`: to link, signal or read live; never replaced).
 */
export type RunUse = 'awaited' | 'started'

/**
 * Starts one run of a spec in a namespace and hands it to a Task: prepared first (nothing is
 * created before its inputs are checked), then either an earlier run standing in (`reuse`) or
 * a new run brought up.
 */
export async function startRun(
  spec: RunSpec,
  namespace: readonly string[],
  use: RunUse,
  ctx: Context = currentContext(),
): Promise<Task> {
  const collection = collectionName(namespace, spec.schema ?? DEFAULT_SCHEMA)
  const { task } = await startWhenEngineAnswers(ctx, spec, () => startOnce(spec, collection, use, ctx))
  return task.asResolvedValue()
}

/** One attempt: prepare, then reuse or bring up. Boxed: a Task is a thenable, awaited once only. */
async function startOnce(
  spec: RunSpec,
  collection: string,
  use: RunUse,
  ctx: Context,
): Promise<{ task: Task }> {
  const prepared = await prepare(ctx, spec, collection, use === 'awaited')
  if (prepared.reused) {
    const log = ctx.log()
    const info = {
      id: prepared.reused.filters._id,
      name: spec.name ?? ctx.memo.names.next(spec.image),
      image: spec.image,
      collection,
    }
    const { exitCode, oomKilled } = prepared.reused.run
    log.runStarted(info)
    log.runEnded(info, { exitCode, oomKilled, reused: true }, 0)
    return { task: new Task(new ReusedRun(prepared.reused)) }
  }
  const run = await new Run(ctx, prepared, use === 'started').start()
  return { task: new Task(run) }
}
