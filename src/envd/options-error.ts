/** A bad option of `levrt envd`, named with the reason: the command exits with 2. */
export class EnvdOptionsError extends Error {
  override readonly name = 'EnvdOptionsError'
  constructor(
    readonly option: string,
    reason: string,
  ) {
    super(`${option}: ${reason}`)
  }
}
