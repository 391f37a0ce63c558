import type { Context } from '../context'
import { engineAway } from '../engine/health'
import { engineWaitMs } from '../engine/wait-setting'
import type { RunSpec } from '../run-spec'

/**
 * Starts a run the way a database driver selects a server: when the engine does not answer,
 * the run waits for it (`LEVRT_ENGINE_WAIT`, bounded by the run's own `timeout` and stopped by
 * its signal) and starts again from scratch, instead of failing at once. A failed attempt has
 * removed what it made, or owed it to the engine's return, which is settled before the next one.
 * Only starting is retried: a run that lost the engine once started fails (EngineLostError).
 */
export async function startWhenEngineAnswers<T>(
  ctx: Context,
  spec: RunSpec,
  start: () => Promise<T>,
): Promise<T> {
  const health = ctx.memo.health(ctx.engine)
  const wait = Math.min(engineWaitMs(), spec.timeoutMs ?? Infinity)
  let deadline: number | undefined
  for (;;) {
    // Free while the engine answers: no call is added unless it was found away.
    if (health.isAway) await health.ready((deadline ??= Date.now() + wait), spec.signal)
    try {
      return await start()
    } catch (err) {
      const away = engineAway(err)
      deadline ??= Date.now() + wait
      if (!away || spec.signal?.aborted || Date.now() >= deadline) throw err
      health.markAway(away)
    }
  }
}
