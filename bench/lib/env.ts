/**
 * Runs `fn` with some environment variables set (a value of undefined unsets one) and puts the
 * previous values back when it settles. The SDK reads its store from the environment when a run
 * starts; benchmarks run one thing at a time, so this is how a row picks its store.
 */
export async function withEnv<T>(
  vars: Readonly<Record<string, string | undefined>>,
  fn: () => Promise<T>,
): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]))
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
  apply(vars)
  try {
    return await fn()
  } finally {
    apply(saved)
  }
}
