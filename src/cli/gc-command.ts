import type { LabelledObject } from '../engine/engine'
import { LABEL } from '../engine/labels'
import type { GcOptions } from '../run/gc'

/** One line per object: what happened, its kind, short id, run and role. */
export function describeObject(verb: string, o: LabelledObject): string {
  // Container and network ids are 64 hex digits; docker shows the first 12. A volume's id is its name.
  const id = o.kind === 'volume' ? o.id : o.id.slice(0, 12)
  return `${verb} ${o.kind.padEnd(9)} ${id}  run ${o.labels[LABEL.run] ?? '?'}  ${o.labels[LABEL.role] ?? '?'}`
}

/** The closing line: how many objects of how many runs, by kind. */
export function summarize(objects: readonly LabelledObject[], options: GcOptions): string {
  const whose = options.all ? 'labelled objects' : 'leftovers of dead runs'
  if (objects.length === 0) return `no ${whose} to remove`
  const kinds = (['container', 'network', 'volume'] as const)
    .map((k) => [k, objects.filter((o) => o.kind === k).length] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`)
    .join(', ')
  const runs = new Set(objects.map((o) => o.labels[LABEL.run])).size
  const what = `${objects.length} ${whose} (${kinds}; ${runs} run${runs === 1 ? '' : 's'})`
  return options.dryRun ? `would remove ${what}; nothing removed (--dry-run)` : `removed ${what}`
}
