import { EnvdError } from '../errors'

/** One thing wrong in a compose file: where (a dotted path, or "(the file)"), and why with the fix. */
export interface Problem {
  readonly path: string
  readonly reason: string
}

/** The problems of one file, collected as the checks go (all of them: an author fixes them in one round). */
export class Problems {
  private readonly list: Problem[] = []

  add(path: string, reason: string): void {
    if (!this.list.some((p) => p.path === path && p.reason === reason)) this.list.push({ path, reason })
  }

  get size(): number {
    return this.list.length
  }

  all(): readonly Problem[] {
    return this.list
  }
}

/**
 * A refused compose file (422): the message lists every problem, those with the same reason
 * on one line ("services.a.privileged, services.b.privileged: privileged ..."); `problems`
 * keeps them one by one for `levrt envd check --json`.
 */
export class ComposeRefusal extends EnvdError {
  constructor(
    readonly shownAs: string,
    readonly problems: readonly Problem[],
  ) {
    const lines = grouped(problems)
    const body =
      lines.length === 1 ? lines[0] : `${problems.length} problems:\n${lines.map((l) => `- ${l}`).join('\n')}`
    super(422, `${shownAs} is refused: ${body}`)
  }
}

/** One line per reason, naming every path that has it. */
export function grouped(problems: readonly Problem[]): string[] {
  const byReason = new Map<string, string[]>()
  for (const p of problems) byReason.set(p.reason, [...(byReason.get(p.reason) ?? []), p.path])
  return [...byReason].map(([reason, paths]) => `${paths.join(', ')}: ${reason}`)
}

/** `['services', 'web', 'volumes', 0]` -> `services.web.volumes[0]` */
export function dotted(parts: readonly (string | number)[]): string {
  const text = parts.reduce<string>(
    (acc, p) => (typeof p === 'number' || /^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p),
    '',
  )
  return text || '(the file)'
}
