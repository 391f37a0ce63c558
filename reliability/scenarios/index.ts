import type { Scenario } from '../scenario'
import { r0 } from './r0-engine-restart'
import { r1 } from './r1-runs-under-faults'
import { r2 } from './r2-process-killed'
import { r3Records } from './r3-records'
import { r4 } from './r4-inputs'
import { r5 } from './r5-service-faults'
import { r6Resources } from './r6-resources'

/** Every scenario, in the order the table shows them; each lives in its own file. */
export const scenarios: readonly Scenario[] = [r0, r1, r2, r3Records, r4, r5, r6Resources]
