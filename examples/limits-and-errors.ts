/**
 * Time limits, resources and errors: a non-zero exit is recorded, not thrown; a malformed option
 * throws before anything is created; a run past its time limit rejects with what it stored.
 *
 *   npx ts-node examples/limits-and-errors.ts
 */
import { Cr, LevError, OptionsError, TimeoutError } from 'levrt'

export async function main(): Promise<void> {
  const failed = await new Cr('levrt/busybox', { cmd: ['sh', '-c', 'exit 3'] })
  console.log(failed.exitCode, failed.run.ok, failed.run.error?.kind) // 3 false ExitCode

  try {
    new Cr('levrt/busybox', { ports: [80, 70000] })
  } catch (err) {
    if (err instanceof OptionsError) console.log(err.code, err.option) // LEV_INVALID_OPTION ports[1]
  }

  const quiet = new Cr('levrt/busybox', 'demo/limits@1.0', {
    cmd: ['sh', '-c', 'echo "{\\"step\\":1}" >> "$LEV_RECORDS"; echo working; sleep 600'],
    timeout: 60_000, // ms from start() until it must have ended
    idleTimeout: 3_000, // ms it may go without output or a new record
    memory: '64m',
    cpus: 0.5,
    pids: 64,
  })
  try {
    await quiet
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err
    console.log(err.code, err.reason, await err.document?.get()) // LEV_TIMEOUT idle { step: 1 }
  }

  // Every error levrt throws is a LevError with a stable code: branch on it.
  const bad = new Cr('levrt/busybox', { cmd: ['sh', '-c', 'echo oops >> "$LEV_RECORDS"'] })
  const err = await bad.catch((e: unknown) => e)
  if (err instanceof LevError) console.log(err.code, err.message) // LEV_BAD_RECORD line 1 of the records...
}

if (require.main === module)
  main().catch((err) => {
    console.error(err)
    process.exit(1)
  })
