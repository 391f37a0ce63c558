/**
 * Times as the seed writes them: ISO 8601 with an offset, like Python's `isoformat()`
 * (`2020-11-14T02:38:10.732108+00:00`). JavaScript dates hold milliseconds, so the last three
 * of the six fraction digits are always 0 on the way out.
 */
export function formatIso(date: Date): string {
  const ms = date.getUTCMilliseconds()
  const base = date.toISOString().slice(0, 19)
  return `${base}${ms ? `.${String(ms * 1000).padStart(6, '0')}` : ''}+00:00`
}

// Date and time, optional fraction (any precision), optional Z or ±hh:mm (no offset: UTC, as the seed's server reads naive times).
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i

/** Parses an ISO 8601 date-time; undefined when the text is not one or names no real instant. */
export function parseIso(text: string): Date | undefined {
  const m = ISO.exec(text.trim())
  if (!m) return undefined
  const [, y, mo, d, h, mi, s = '0', frac = '0', zone = 'Z'] = m
  const fields = [y, mo, d, h, mi, s].map(Number)
  const ms = Math.floor(Number(`0.${frac}`) * 1000)
  const utc = Date.UTC(fields[0], fields[1] - 1, fields[2], fields[3], fields[4], fields[5], ms)
  const check = new Date(utc)
  // Date.UTC rolls 2020-02-31 over into March: a date that does not round-trip does not exist.
  if (
    check.getUTCMonth() !== fields[1] - 1 ||
    check.getUTCDate() !== fields[2] ||
    fields[3] > 23 ||
    fields[4] > 59 ||
    fields[5] > 59
  )
    return undefined
  const offset = zone.toUpperCase() === 'Z' ? 0 : offsetMinutes(zone)
  if (offset === undefined) return undefined
  return new Date(utc - offset * 60_000)
}

function offsetMinutes(zone: string): number | undefined {
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)
  if (!m || Number(m[2]) > 23 || Number(m[3]) > 59) return undefined
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]))
}
