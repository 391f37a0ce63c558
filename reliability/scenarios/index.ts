import type { Scenario } from '../scenario'

/** Every scenario, in the order the table shows them. Each helper file adds itself here. */
export const scenarios: readonly Scenario[] = []
