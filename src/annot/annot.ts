/**
 * `annot.meta(...)` describes a workflow module and `annot.param(...)` one of its params:
 *
 * ```ts
 * export const meta = annot.meta({
 *   exports: [scan], desc: 'scan a host',
 *   params: [annot.param('ip', 'target ip to scan', { holder: '192.168.1.1' })],
 * })
 * ```
 * @module
 */
export { meta } from './meta'
export { param } from './params'
