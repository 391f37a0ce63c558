import { Command } from 'commander'
import type { CollectionSummary } from '../store'
import { idTime } from './collection-names'
import { describeFailure } from './failure'
import { configure } from './help'
import { EXIT, type ExitCode } from './usage'

/** `levrt ls`: the store's collections with their run counts, newest run first. */
export function lsCommand(finish: (code: ExitCode) => void): Command {
  return configure(new Command('ls'))
    .summary('list the collections of stored runs, newest run first')
    .description(
      'Lists each collection of the store the SDK writes to (MongoDB when LEV_MONGO_URL is set, else the ' +
        'embedded store in LEV_HOME) with how many documents it holds and when its newest run was made, ' +
        'the collection with the newest run first. Namespaced collections show their namespace (ns|schema).',
    )
    .action(async () => {
      // Loaded here: `levrt --help` need not load the store drivers.
      const { storeFromEnv } = await import('../store')
      try {
        const all = await storeFromEnv().collections()
        process.stdout.write(table(all))
        finish(EXIT.done)
      } catch (err) {
        process.stderr.write(`levrt ls: ${describeFailure(err)}\n`)
        finish(EXIT.failed)
      }
    })
}

/** One line per collection under a header: name, count, newest run's time (UTC, to the second). */
function table(all: readonly CollectionSummary[]): string {
  if (all.length === 0) return ''
  const rows = [...all]
    .sort((a, b) =>
      a.newestId < b.newestId ? 1 : a.newestId > b.newestId ? -1 : a.name.localeCompare(b.name),
    )
    .map((c) => [
      c.name,
      String(c.count),
      idTime(c.newestId)
        ?.toISOString()
        .replace(/\.\d+Z$/, 'Z') ?? '-',
    ])
  const header = ['COLLECTION', 'RUNS', 'NEWEST']
  const width = [0, 1].map((i) => Math.max(header[i].length, ...rows.map((r) => r[i].length)))
  const line = ([name, count, newest]: string[]) =>
    `${name.padEnd(width[0])}  ${count.padStart(width[1])}  ${newest}\n`
  return [header, ...rows].map(line).join('')
}
