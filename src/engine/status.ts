/** The HTTP status dockerode puts on an engine error (404: no such object, 409: conflict, ...). */
export function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number } | undefined)?.statusCode
}
