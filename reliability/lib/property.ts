import fc from 'fast-check'

/** What one family of properties found: how many cases ran, and every failure with its case. */
export interface PropertyResult {
  readonly name: string
  readonly cases: number
  readonly failures: string[]
}

/**
 * Runs a fast-check property with the scenario's seed and reports instead of throwing: the
 * shrunk counterexample and what went wrong, so the table says it and `--seed` replays it.
 */
export async function check<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => Promise<void> | void,
  seed: number,
  numRuns: number,
): Promise<PropertyResult> {
  const details = await fc.check(
    fc.asyncProperty(arbitrary, async (value) => {
      await predicate(value)
    }),
    { seed, numRuns, endOnFailure: false, maxSkipsPerRun: 100 },
  )
  const failures = details.failed
    ? [
        `${name}: ${shorten(describeError(details.errorInstance))} for ${shorten(fc.stringify(details.counterexample?.[0]))} ` +
          `(seed ${seed}, path ${details.counterexamplePath ?? ''})`,
      ]
    : []
  return { name, cases: details.numRuns, failures }
}

/** A property's verdict on one case: throws with what is wrong. */
export function expectThat(condition: boolean, what: () => string): void {
  if (!condition) throw new Error(what())
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`
  return String(err)
}

function shorten(text: string, max = 400): string {
  return text.length > max ? `${text.slice(0, max)}...` : text
}
