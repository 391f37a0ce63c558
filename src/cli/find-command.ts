import { EJSON } from 'bson'
import { Command } from 'commander'
import type { Filter, FindOptions, Projection, Sort } from '../store'
import { missingCollection } from './collection-names'
import { describeFailure } from './failure'
import { configure } from './help'
import { jsonLine } from './print'
import { EXIT, UsageError, type ExitCode } from './usage'

interface FindFlags {
  readonly sort?: string
  readonly limit?: string
  readonly skip?: string
  readonly projection?: string
}

/** `levrt find <collection> [filter-json] [--sort json] [--limit n] [--skip n] [--projection json]` */
export function findCommand(finish: (code: ExitCode) => void): Command {
  return configure(new Command('find'))
    .usage('<collection> [filter-json] [--sort json] [--limit n] [--skip n] [--projection json]')
    .summary('print stored documents as JSON lines')
    .description(
      'Prints the documents of a collection that match a MongoDB filter, one JSON line each ' +
        '(EJSON relaxed: a date is {"$date": "..."}, and the filter may use extended JSON: ' +
        '{"$date": ...}, {"$oid": ...}, {"$regex": ..., "$options": ...}). Reads the store the SDK ' +
        'writes to: MongoDB when LEV_MONGO_URL is set, else the embedded store in LEV_HOME (default ' +
        "~/.levrt), through the same query path as doc.coll.find (the embedded store's indexes " +
        'included). A query the embedded store does not support is refused (exit code 2).',
    )
    .argument('<collection>', "a collection name, e.g. 'talentsec/nmap@1.0' or 'ns|talentsec/nmap@1.0'")
    .argument(
      '[filter-json]',
      'a MongoDB filter as JSON, e.g. \'{"open.port": 22}\' (default: every document)',
    )
    .option('--sort <json>', 'sort order, e.g. \'{"_id": -1}\' (newest first) or \'{"host": 1, "port": -1}\'')
    .option('--limit <n>', 'print at most n documents')
    .option('--skip <n>', 'skip the first n documents')
    .option('--projection <json>', 'fields to print, e.g. \'{"host": 1, "_id": 0}\'')
    .action(async (collection: string, filterText: string | undefined, flags: FindFlags) => {
      const filter: Filter =
        filterText === undefined ? {} : parseObject(filterText, 'the filter', '{"target": "10.0.0.1"}')
      const options = findOptions(flags)
      // Loaded here: `levrt --help` need not load the store drivers.
      const { storeFromEnv } = await import('../store')
      try {
        const store = storeFromEnv()
        const docs = await store.collection(collection).find(filter, options).toArray()
        for (const doc of docs) process.stdout.write(jsonLine(doc))
        // levrt ls: nothing found may mean a collection that does not exist; say so, with the closest names.
        const missing = docs.length ? undefined : missingCollection(collection, await store.collections())
        if (missing) process.stderr.write(`levrt find: ${missing}\n`)
        finish(missing ? EXIT.failed : EXIT.done)
      } catch (err) {
        process.stderr.write(`levrt find: ${describeFailure(err)}\n`)
        // A query the store refuses (QueryError) is a problem of the command line: nothing was read.
        finish((err as { code?: unknown }).code === 'LEV_QUERY' ? EXIT.usage : EXIT.failed)
      }
    })
}

function findOptions(flags: FindFlags): FindOptions {
  const options: { -readonly [K in keyof FindOptions]: FindOptions[K] } = {}
  if (flags.sort !== undefined) options.sort = parseSort(flags.sort)
  if (flags.projection !== undefined)
    options.projection = parseObject(flags.projection, '--projection', '{"host": 1}') as Projection
  if (flags.limit !== undefined) options.limit = count(flags.limit, '--limit')
  if (flags.skip !== undefined) options.skip = count(flags.skip, '--skip')
  return options
}

function parseSort(text: string): Sort {
  const sort = parseObject(text, '--sort', '{"_id": -1}')
  for (const [path, dir] of Object.entries(sort)) {
    if (dir !== 1 && dir !== -1)
      throw new UsageError(
        `--sort takes 1 or -1 per field (got ${JSON.stringify(path)}: ${JSON.stringify(dir)})`,
      )
  }
  return sort as Sort
}

function count(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} takes a whole number ≥ 0 (got ${text})`)
  return Number(text)
}

/** A JSON object (EJSON relaxed, so `{"$date": ...}` is a Date). */
function parseObject(
  text: string,
  what: 'the filter' | '--sort' | '--projection',
  example: string,
): Record<string, unknown> {
  let value: unknown
  try {
    value = EJSON.parse(text, { relaxed: true })
  } catch (err) {
    throw new UsageError(`${what} is not JSON: ${(err as Error).message}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UsageError(`${what} is a JSON object, e.g. '${example}' (got ${text})`)
  return value as Record<string, unknown>
}
