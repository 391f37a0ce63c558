import type { Scenario } from '../scenario'
import { r4 } from './r4-inputs'
import { r5 } from './r5-service-faults'

/** Every scenario, in the order the table shows them. Each helper file adds itself here. */
export const scenarios: readonly Scenario[] = [r4, r5]
