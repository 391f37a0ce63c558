/** ANSI colours for the pretty log. Red is kept for failures, so no name is ever red. */
const NAME_COLORS = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94] as const

export const RED = 31
export const GREEN = 32
export const YELLOW = 33
export const DIM = 2

export function paint(code: number, text: string): string {
  return `\x1b[${code}m${text}\x1b[0m`
}

/** The same name always gets the same colour (FNV-1a of the name), in this process and the next. */
export function colorFor(name: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193)
  return NAME_COLORS[(h >>> 0) % NAME_COLORS.length]
}
