import { EJSON } from 'bson'
import { Command } from 'commander'
import type { Filter } from '../store'
import { describeFailure } from './failure'
import { configure } from './help'
import { jsonLine } from './print'
import { EXIT, UsageError, type ExitCode } from './usage'

/** `levrt find <collection> [filter-json]` */
export function findCommand(finish: (code: ExitCode) => void): Command {
  return configure(new Command('find'))
    .usage('<collection> [filter-json]')
    .summary('print stored documents as JSON lines')
    .description(
      'Prints the documents of a collection that match a MongoDB filter, one JSON line each (EJSON relaxed: a ' +
        'date is {"$date": "..."}, and the filter may use the same form). Reads the store the SDK writes to: ' +
        'MongoDB when LEV_MONGO_URL is set, else the embedded store in LEV_HOME (default ~/.levrt).',
    )
    .argument('<collection>', "a collection name, e.g. 'talentsec/nmap@1.0' or 'ns|talentsec/nmap@1.0'")
    .argument('[filter-json]', 'a MongoDB filter as JSON, e.g. \'{"open.port": 22}\' (default: every document)')
    .action(async (collection: string, filterText: string | undefined) => {
      const filter = parseFilter(filterText)
      // Loaded here: `levrt --help` need not load the store drivers.
      const { storeFromEnv } = await import('../store')
      try {
        const docs = await storeFromEnv().collection(collection).find(filter).toArray()
        for (const doc of docs) process.stdout.write(jsonLine(doc))
        finish(EXIT.done)
      } catch (err) {
        process.stderr.write(`levrt find: ${describeFailure(err)}\n`)
        finish(EXIT.failed)
      }
    })
}

function parseFilter(text: string | undefined): Filter {
  if (text === undefined) return {}
  let filter: unknown
  try {
    filter = EJSON.parse(text, { relaxed: true })
  } catch (err) {
    throw new UsageError(`the filter is not JSON: ${(err as Error).message}`)
  }
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) throw new UsageError(`the filter is a JSON object, e.g. '{"target": "10.0.0.1"}' (got ${text})`)
  return filter as Filter
}
