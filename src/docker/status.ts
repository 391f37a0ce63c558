/** The HTTP status dockerode puts on an engine error (404: no such object, 409: conflict, ...). */
export function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number } | undefined)?.statusCode
}

/** 404: the object is gone already (for a removal, that is success). */
export function isGone(err: unknown): boolean {
  return statusOf(err) === 404
}

/** The engine's own words for an error (dockerode puts them in `json.message`; they beat "HTTP code 404"). */
export function describe(err: unknown): string {
  if (err instanceof Error) {
    const json = (err as { json?: { message?: unknown } }).json
    return typeof json?.message === 'string' ? json.message : err.message
  }
  return String(err)
}
