import type { Scenario } from '../scenario'
import { r3Records } from './r3-records'
import { r6Resources } from './r6-resources'

/** Every scenario, in the order the table shows them. Each helper file adds itself here. */
export const scenarios: readonly Scenario[] = [r3Records, r6Resources]
