import type { Param } from '../annot/params'
import { UsageError } from './usage'

/** `--param name=value` flags by name. */
export function parseParamFlags(flags: readonly string[]): Map<string, string> {
  const given = new Map<string, string>()
  for (const flag of flags) {
    const eq = flag.indexOf('=')
    if (eq <= 0) throw new UsageError(`--param ${flag}: expected name=value`)
    const name = flag.slice(0, eq)
    if (given.has(name)) throw new UsageError(`--param ${name} is given twice`)
    given.set(name, flag.slice(eq + 1))
  }
  return given
}

/**
 * The arguments of an export: every param in `params` order, from its `--param`, else its
 * default, else undefined. A required param is demanded only from an export that declares that
 * many arguments (`arity`, the function's `length`): `lab()` in a module whose params are for
 * its other exports runs without them.
 * @throws UsageError naming every unknown or missing param, or a value of the wrong type.
 */
export function argumentsFor(
  params: readonly Param[],
  given: ReadonlyMap<string, string>,
  arity: number,
): unknown[] {
  const known = new Set(params.map((p) => p.name))
  const unknown = [...given.keys()].filter((name) => !known.has(name))
  if (unknown.length) {
    const takes = params.length
      ? `the module's params are ${params.map((p) => p.name).join(', ')}`
      : 'the module declares no params'
    throw new UsageError(`unknown --param ${unknown.join(', ')}: ${takes}`)
  }
  const missing = params.filter((p, i) => p.required && i < arity && !given.has(p.name))
  if (missing.length) {
    const lines = missing.map((p) => `  --param ${p.name}=${p.holder}   ${p.description}`)
    throw new UsageError(`missing --param ${missing.map((p) => p.name).join(', ')}:\n${lines.join('\n')}`)
  }
  const args = params.map((p) => {
    const text = given.get(p.name)
    return text === undefined ? p.default : convert(p, text)
  })
  // Trailing undefineds dropped: the export's own default parameters apply.
  while (args.length && args[args.length - 1] === undefined) args.pop()
  return args
}

const BOOLEANS: Readonly<Record<string, boolean>> = {
  true: true,
  false: false,
  yes: true,
  no: false,
  '1': true,
  '0': false,
}

function convert(p: Param, text: string): string | number | boolean {
  switch (p.type) {
    case 'string':
      return text
    case 'number': {
      const n = Number(text)
      if (text.trim() === '' || !Number.isFinite(n))
        throw new UsageError(`--param ${p.name}=${text}: expected a number`)
      return n
    }
    case 'boolean': {
      const key = text.toLowerCase()
      if (!Object.hasOwn(BOOLEANS, key))
        throw new UsageError(`--param ${p.name}=${text}: expected true or false`)
      return BOOLEANS[key]
    }
  }
}
