/**
 * levrt: security-tool workflows in TypeScript. Every step runs in a Docker container; its
 * results are stored as documents in MongoDB or an embedded on-disk store.
 *
 * @packageDocumentation
 */
export { Cr } from './cr'
export { Task, type AwaitedTask } from './task'
export { Document } from './document'
export type { CrOptions, Schema, ContainerPath, FileSource, EnvOption } from './options'
export type { Entry } from './entry'
export type { ResultCollection, RunRecord, StoredDoc, Filter, Projection } from './store'
export { DEFAULT_SCHEMA } from './schema'
export {
  LevError,
  OptionsError,
  EngineUnavailableError,
  ImageUnavailableError,
  ContainerCreateError,
  ContainerStartError,
  EngineLostError,
  StoreError,
  type LevErrorCode,
} from './errors'
