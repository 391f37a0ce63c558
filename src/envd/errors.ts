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

/*
 * What the state machine refuses, in its own words: `http/errors.ts` decides the status of each.
 * Each is thrown before anything changes.
 */

/** No environment has that id. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError'
}

/** The environment is not in a state that allows it (renewing one that is not healthy). */
export class ConflictError extends Error {
  override readonly name = 'ConflictError'
}

/** A cap (per uid, in total) is reached. */
export class OverCapError extends Error {
  override readonly name = 'OverCapError'
}

/** The service takes no such work now (it is shutting down). */
export class RefusedError extends Error {
  override readonly name = 'RefusedError'
}

/** The store does not answer: nothing was changed, the request may be retried (503). */
export class StoreDownError extends Error {
  override readonly name = 'StoreDownError'
}
