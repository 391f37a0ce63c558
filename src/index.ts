/**
 * levrt: security-tool workflows in TypeScript. Every step runs in a Docker container; its
 * results are stored as documents in MongoDB or an embedded on-disk store.
 *
 * @packageDocumentation
 */
export { Cr } from './cr'
export { Task, type AwaitedTask } from './task'
export { Document } from './document'
export type { Change } from './history/changes'
export type { CrOptions, Schema, ContainerPath, FileSource, EnvOption, MemorySize } from './options'
export type { Entry } from './entry'
export type {
  ResultCollection,
  RunRecord,
  StoredDoc,
  Filter,
  Projection,
  FindOptions,
  IndexKeys,
  IndexOptions,
  Sort,
} from './store'
export { QueryError } from './store/query-error'
export { DEFAULT_SCHEMA } from './schema'
export { remote, type Remote, type ContainerLev, type Json } from './remote'
export { lev, Namespace } from './lev'
export {
  annot,
  Attck,
  BlackArch,
  attckTacticId,
  type Meta,
  type MetaInput,
  type Cats,
  type Param,
  type ParamArgs,
  type ParamType,
  type ParamTypes,
  type ParamOptions,
  type ParamWithDefault,
  type ParamWithoutDefault,
} from './annot'
export { Concurrent, type ConcurrentOptions, type Work } from './concurrent'
export {
  createContext,
  withContext,
  currentContext,
  type Context,
  type ContextOptions,
  type ContextShorthand,
} from './context'
export type { LogMode } from './log'
export {
  LevError,
  OptionsError,
  EngineUnavailableError,
  ImageUnavailableError,
  ContainerCreateError,
  ContainerStartError,
  EngineLostError,
  StoreError,
  StoreUnavailableError,
  ResultTooLargeError,
  NoNodeError,
  PortTimeoutError,
  ServiceError,
  NetworkError,
  ContainerError,
  type LevErrorCode,
  type EntryFailure,
} from './errors'
export { RecordError, EntryError, ResultsLostError, AbortedError, TimeoutError } from './run/errors'
