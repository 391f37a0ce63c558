import { inspect } from 'node:util'

/**
 * A value as an error message shows it: its JSON where it has one, else Node's inspection (a
 * BigInt, a cycle, a function, undefined), cut short. Never throws: a message about a bad value
 * must not fail on that value.
 */
export function shown(value: unknown, max = 120): string {
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch {
    text = undefined
  }
  if (text !== undefined) return text
  const inspected = inspect(value, { depth: 2, breakLength: Infinity })
  return inspected.length > max ? `${inspected.slice(0, max)}...` : inspected
}
