import { isUtf8 } from 'node:buffer'
import { OPEN_OBJECT, Refusal, Scanner, type RecordField } from './record-scanner'

export { MAX_DEPTH, type RecordField } from './record-scanner'

/**
 * The record on one line, or why the line is not one. A record is a JSON object of fields that
 * both stores keep as they are, so what MongoDB refuses is refused here, for both: names
 * starting with `$` or holding a dot or NUL (the embedded store would also read `{"$date": ...}`
 * back as a Date), numbers out of range (`1e400`), unpaired surrogates (`"\ud800"`: MongoDB would
 * store U+FFFD), nesting past `MAX_DEPTH`, and `__proto__`. The top level also may not use `_id`,
 * `_lev` or `''`. The line is checked as bytes, in one walk, and never becomes objects: each
 * field's value stays a slice of `line`. A value whose objects repeat a name or use an index
 * name (`"7"`), whose order JSON.parse changes, is rewritten as JSON.parse would read it.
 */
export function scanRecord(line: Buffer): RecordField[] | string {
  if (!isUtf8(line)) return 'the line is not UTF-8'
  const scan = new Scanner(line)
  try {
    scan.space()
    if (line[scan.pos] !== OPEN_OBJECT) return 'a record is a JSON object of fields'
    const fields = scan.record()
    scan.space()
    if (scan.pos < line.length) scan.fail(`not JSON (more after the record, at byte ${scan.pos})`)
    return fields
  } catch (err) {
    if (err instanceof Refusal) return err.message
    throw err
  }
}
