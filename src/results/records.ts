import type { Readable } from 'node:stream'
import { extract } from 'tar-stream'
import type { EntryFailure } from '../errors'
import { MAX_DOCUMENT_BYTES } from '../store'
import { JsonFields } from '../store/json-fields'
import { readLines } from './lines'
import { scanRecord } from './record'

/** Where a run's results are, inside its container. The folder is writable by any user. */
export const OUT_DIR = '/.levrt/out'
export const RECORDS_FILE = `${OUT_DIR}/records.jsonl`

/**
 * A longer line is dropped as it streams in (a RecordError), so a tool that never ends its line
 * cannot fill the host's memory. Up to it, a record over the document limit is read, and the
 * result kept whole on disk (ResultTooLargeError): nothing a tool could mean to store is lost.
 */
export const MAX_LINE_BYTES = 2 * MAX_DOCUMENT_BYTES

export interface Results {
  /** The records merged in order (later fields win), kept as their JSON. */
  readonly fields: JsonFields
  readonly records: number
  /** A last line without its newline: the writer was cut off mid-record. It is not stored. */
  readonly cutLine: boolean
  /** Lines that are not records: skipped, so the good ones are still stored. */
  readonly problems: readonly RecordProblem[]
  readonly failure?: EntryFailure
}

export interface RecordProblem {
  readonly line: number
  readonly reason: string
}

/**
 * Reads the tar of OUT_DIR that the engine sends back: records are checked line by line as they
 * stream in, so only the merged result (and one line at a time) is ever held, as JSON text.
 */
export async function readResults(tar: Readable | undefined): Promise<Results> {
  const merged = new JsonFields()
  let records = 0
  let cutLine = false
  let failure: EntryFailure | undefined
  const problems: RecordProblem[] = []
  if (!tar) return { fields: merged, records, cutLine, problems }
  const ex = extract()
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, source, next) => {
      // tar-stream's entry is a streamx Readable: the same events, other typings.
      const stream = source as unknown as Readable
      const name = header.name.replace(/^\.?\/?/, '').replace(/^out\//, '')
      const finish = (err?: unknown) => (err ? reject(err) : next())
      if (name === 'records.jsonl') {
        readLines(
          stream,
          MAX_LINE_BYTES,
          (line, n) => {
            const record = Buffer.isBuffer(line) ? scanRecord(line) : line.problem
            if (typeof record === 'string') problems.push({ line: n, reason: record })
            else {
              for (const field of record) merged.set(field.name, keep(field.json, line), field.bsonBytes)
              records++
            }
          },
          header.size ?? undefined,
        ).then((cut) => {
          cutLine = cut
          finish()
        }, finish)
      } else if (name === 'error.json') {
        readSmall(stream).then((text) => {
          failure = JSON.parse(text) as EntryFailure
          finish()
        }, finish)
      } else {
        stream.resume()
        stream.once('end', () => next())
      }
    })
    ex.once('finish', resolve)
    ex.once('error', reject)
    tar.once('error', reject)
    // An engine that dies mid-archive may only close the socket: without this, the run would
    // wait for the rest of the tar forever.
    let ended = false
    tar.once('end', () => (ended = true))
    tar.once('close', () => {
      if (!ended) reject(new Error('the engine closed the results archive before its end'))
    })
  })
  tar.pipe(ex)
  await done
  return { fields: merged, records, cutLine, problems, failure }
}

/** A small value is copied out of its line, so that keeping it does not keep the whole line. */
function keep(json: Buffer, line: Buffer | { problem: string }): Buffer {
  return Buffer.isBuffer(line) && json.length * 2 < line.length ? Buffer.from(json) : json
}

function readSmall(stream: Readable): Promise<string> {
  const chunks: Buffer[] = []
  stream.on('data', (chunk: Buffer) => chunks.push(chunk))
  return new Promise((resolve, reject) => {
    stream.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    stream.once('error', reject)
  })
}
