/**
 * Module metadata: `annot.meta` describes a workflow module (its exports, params and
 * categories) for `levrt meta` and `levrt run`.
 */
export * as annot from './annot'
export { Attck, attckTacticId, attckTacticName } from './attck'
export { BlackArch, blackArchGroupName } from './blackarch'
export { checkMeta, type Cats, type CatsInput, type Meta, type MetaInput, type ParamArgs } from './meta'
export type {
  Param,
  ParamOptions,
  ParamType,
  ParamTypes,
  ParamWithDefault,
  ParamWithoutDefault,
} from './params'
