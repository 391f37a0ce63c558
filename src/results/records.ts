import type { Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { extract } from 'tar-stream'
import type { EntryFailure } from '../errors'
import type { StoredDoc } from '../store'

/** Where a run's results are, inside its container. The folder is writable by any user. */
export const OUT_DIR = '/.levrt/out'
export const RECORDS_FILE = `${OUT_DIR}/records.jsonl`

export interface Results {
  /** The records merged in order: later fields win. */
  readonly fields: StoredDoc
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
 * Reads the tar of OUT_DIR that the engine sends back: records are parsed line by line as they
 * stream in, so only the merged result (and one line at a time) is ever held.
 */
export async function readResults(tar: Readable | undefined): Promise<Results> {
  const merged: StoredDoc = {}
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
        readLines(stream, (line, n) => {
          const record = parseRecord(line)
          if (typeof record === 'string') problems.push({ line: n, reason: record })
          else {
            Object.assign(merged, record)
            records++
          }
        }).then((cut) => {
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
  })
  tar.pipe(ex)
  await done
  return { fields: merged, records, cutLine, problems, failure }
}

/** The record, or why the line is not one. */
function parseRecord(line: string): StoredDoc | string {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch (err) {
    return `not JSON (${(err as Error).message})`
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return 'a record is a JSON object of fields'
  for (const key of Object.keys(value)) {
    if (key === '_id' || key === '_lev') return `the field name ${key} is reserved`
    if (key === '' || key.startsWith('$') || key.includes('.'))
      return `the field name ${JSON.stringify(key)} cannot be stored (no leading $, no dots)`
  }
  return value as StoredDoc
}

function readSmall(stream: Readable): Promise<string> {
  const chunks: Buffer[] = []
  stream.on('data', (chunk: Buffer) => chunks.push(chunk))
  return new Promise((resolve, reject) => {
    stream.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    stream.once('error', reject)
  })
}

/**
 * Calls `onLine` for each complete (newline-terminated) line; resolves true if the stream ended
 * in the middle of a line. Chunks are decoded as they arrive and joined once per line, so a
 * long record is held as text once (not also as bytes) before it is parsed.
 */
function readLines(stream: Readable, onLine: (line: string, n: number) => void): Promise<boolean> {
  return new Promise((resolve, reject) => {
    // A newline byte never occurs inside a UTF-8 sequence: splitting bytes at it is safe.
    const decoder = new StringDecoder('utf8')
    let pieces: string[] = []
    let n = 0
    stream.on('data', (chunk: Buffer) => {
      try {
        let start = 0
        for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
          pieces.push(decoder.end(chunk.subarray(start, nl)))
          const line = pieces.join('')
          pieces = []
          start = nl + 1
          n++
          if (line.trim() !== '') onLine(line, n)
        }
        if (start < chunk.length) pieces.push(decoder.write(chunk.subarray(start)))
      } catch (err) {
        stream.destroy(err as Error)
      }
    })
    stream.once('end', () => resolve(pieces.some((p) => p.length > 0) || decoder.end().length > 0))
    stream.once('error', reject)
  })
}
