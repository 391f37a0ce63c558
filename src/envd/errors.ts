/**
 * A request the service answers with a 4xx (or 503) and a message saying what is wrong. Thrown
 * before anything changes, so a refused request leaves no trace.
 */
export class EnvdError extends Error {
  override readonly name = 'EnvdError'
  constructor(
    readonly statusCode: 400 | 401 | 404 | 409 | 422 | 429 | 503,
    message: string,
  ) {
    super(message)
  }
}
