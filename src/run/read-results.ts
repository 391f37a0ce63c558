import { OUT_DIR, readResults, type Results } from '../results/records'
import { RESULTS_MOUNT } from '../runtime/ship'
import type { Launched } from './launch'

/**
 * A stopped main container's results, once its output has drained. Reading the results folder
 * costs a mount on the engine, so it is read only when the container's changes show a write, or
 * when they do not show the results mount the engine made in every main container: such an
 * answer is not the container's layer (R1 saw one, amid engine restarts, that would have stored
 * a run's document without its records), so the folder is read to be sure.
 *
 * The folder is in every main container, so an engine that answers it is not there says the
 * container is gone (removed from outside after its changes were read: R1 stored such runs as
 * ok without their records): that is a failure to read, which the run reports
 * (ResultsLostError), never "no records".
 */
export async function readRunResults(main: Launched): Promise<Results> {
  const [, changed] = await Promise.all([main.output?.ended.catch(() => undefined), main.container.changes()])
  const wrote = changed.some((path) => path.startsWith(`${OUT_DIR}/`) && path !== RESULTS_MOUNT)
  const trusted = changed.includes(RESULTS_MOUNT)
  if (!wrote && trusted) return readResults(undefined)
  const folder = await main.container.read(OUT_DIR)
  if (!folder) throw new Error(`the container was removed before ${OUT_DIR} could be read`)
  return readResults(folder)
}
