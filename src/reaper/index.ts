export { reaperOnce, type Reapers } from './reaper'
export { reaperWanted } from './setting'
