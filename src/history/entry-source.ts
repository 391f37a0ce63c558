/** What the key of a run knows of its entry's source, by the source as the host's engine prints it. */
export type EntrySources = Map<string, Promise<string>>

/**
 * The entry's source as the run key sees it: the same whichever loader turned the user's file
 * into code. tsx (esbuild) prints a function minified, with double quotes, `1e3` for `1000`,
 * without comments and with `__name(...)` calls of its `keepNames`; ts-node and tsc print it
 * pretty, with the user's quotes and comments. Both are printed again by esbuild with
 * `minifyWhitespace` (esbuild ships with tsx, a dependency of levrt), and keepNames' calls are
 * dropped. Redundant parentheses the user wrote are kept by tsc and dropped by esbuild: they
 * still make two keys (see the README). Where esbuild cannot run or parse it, the source is
 * taken as it is. Once per source per context.
 */
export function canonicalSource(source: string, memo: EntrySources): Promise<string> {
  let canonical = memo.get(source)
  if (!canonical) {
    canonical = reprint(source).catch(() => source)
    memo.set(source, canonical)
  }
  return canonical
}

async function reprint(source: string): Promise<string> {
  const { transform } = await import('esbuild')
  const print = async (code: string) => (await transform(code, { minifyWhitespace: true, loader: 'js' })).code
  // A function or arrow is an expression as printed; a method (`async scan(lev) {}`) is an
  // object literal's member (as the runtime compiles it).
  const printed = await print(`(${source}\n)`).catch(() => print(`({${source}\n})`))
  return printed
    .replace(/static\{__name\(this,"[^"\\]*"\)\}/g, '')
    .replace(/__name\([A-Za-z_$][\w$]*,"[^"\\]*"\);?/g, '')
    .replace(/;?\s*$/, '')
}
