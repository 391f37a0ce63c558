import { isDocumentLike, jsonLine } from './print'

/**
 * What a failure says on stderr: a levrt error's message with its `code` (errors are matched by
 * shape, since a module may load its own copy of levrt); any other error with its stack, as it
 * comes from the user's code. An AggregateError (a Concurrent group) lists each failure.
 */
export function describeFailure(err: unknown, logged = false): string {
  if (!(err instanceof Error)) return String(err)
  const code = levCode(err)
  // An entry's stack was printed by the container on its stderr, which the live log showed:
  // with the log on, the summary names the failure without printing the stack a second time.
  const message = logged && code === 'LEV_ENTRY_FAILED' ? err.message.split('\n')[0] : err.message
  const head = code ? `${message} [${code}]` : err.stack ? userFrames(err.stack) : err.message
  if (!(err instanceof AggregateError)) return head
  return [
    head,
    ...err.errors.map((e, i) => `  ${i + 1}. ${describeFailure(e, logged).replace(/\n/g, '\n     ')}`),
  ].join('\n')
}

/** The stack down to the first frame of this command's own code: what called the export is noise. */
function userFrames(stack: string): string {
  const lines = stack.split('\n')
  const ours = lines.findIndex(
    (line) => /^\s+at /.test(line) && (line.includes(__dirname) || line.includes('node_modules/commander/')),
  )
  return (ours < 0 ? lines : lines.slice(0, ours)).join('\n')
}

function levCode(err: Error): string | undefined {
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' && code.startsWith('LEV_') ? code : undefined
}

/**
 * A failed run's error carries the Document with what it stored before failing (EntryError,
 * RecordError, TimeoutError...): those results are printed like a success's, nothing is lost.
 */
export async function printPartialResults(err: unknown, write: (line: string) => void): Promise<void> {
  const errors = err instanceof AggregateError ? err.errors : [err]
  for (const e of errors) {
    const doc = (e as { document?: unknown } | null)?.document
    const fields = isDocumentLike(doc) ? await doc.get().catch(() => undefined) : undefined
    if (fields !== undefined) write(jsonLine(fields))
  }
}
