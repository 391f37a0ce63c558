import type { Scenario } from '../scenario'
import { r0 } from './r0-engine-restart'
import { r1 } from './r1-runs-under-faults'
import { r2 } from './r2-process-killed'

/** Every scenario, in the order the table shows them. Each helper file adds itself here. */
export const scenarios: readonly Scenario[] = [r0, r1, r2]
