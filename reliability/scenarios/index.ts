import type { Scenario } from '../scenario'
import { r3Records } from './r3-records'

/** Every scenario, in the order the table shows them. Each helper file adds itself here. */
export const scenarios: readonly Scenario[] = [r3Records]
