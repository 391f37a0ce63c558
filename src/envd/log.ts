/** What the service logs through (pino's shape, so the app's logger or a child of it). */
export interface Logger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}
