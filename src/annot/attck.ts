/**
 * The 14 tactics of the MITRE ATT&CK Enterprise matrix. Each value is the tactic's id
 * (`Attck.Reconnaissance === 'TA0043'`), so the id is at hand without a table, and a string enum
 * keeps a bare `'TA0043'` or another enum's member from compiling where an `Attck` is expected.
 *
 * ```ts
 * annot.meta({ exports: [lab], desc: 'map the lab network', cats: { Attck: [Attck.Reconnaissance, Attck.Discovery] } })
 * attckTacticId(Attck.Impact)      // 'TA0040'
 * ```
 */
export enum Attck {
  Reconnaissance = 'TA0043',
  ResourceDevelopment = 'TA0042',
  InitialAccess = 'TA0001',
  Execution = 'TA0002',
  Persistence = 'TA0003',
  PrivilegeEscalation = 'TA0004',
  DefenseEvasion = 'TA0005',
  CredentialAccess = 'TA0006',
  Discovery = 'TA0007',
  LateralMovement = 'TA0008',
  Collection = 'TA0009',
  CommandAndControl = 'TA0011',
  Exfiltration = 'TA0010',
  Impact = 'TA0040',
}

/**
 * The tactic's ATT&CK id, e.g. `'TA0043'` for `Attck.Reconnaissance`.
 *
 * ```ts
 * attckTacticId(Attck.Reconnaissance)     // 'TA0043'
 * meta.cats.Attck.map((t) => `https://attack.mitre.org/tactics/${attckTacticId(t)}/`)
 * ```
 */
export function attckTacticId(tactic: Attck): `TA${string}` {
  return tactic as `TA${string}`
}

// Enum member name by value: a string enum has no reverse mapping of its own.
const NAMES: ReadonlyMap<string, keyof typeof Attck> = new Map(
  (Object.keys(Attck) as (keyof typeof Attck)[]).map((name) => [Attck[name], name]),
)

/** The enum member's name, e.g. `'Reconnaissance'` for `'TA0043'`. */
export function attckTacticName(tactic: Attck): keyof typeof Attck {
  const name = NAMES.get(tactic)
  if (name === undefined) throw new TypeError(`not an ATT&CK tactic: ${String(tactic)}`)
  return name
}

/** Whether `value` is one of the 14 tactic ids. */
export function isAttck(value: unknown): value is Attck {
  return typeof value === 'string' && NAMES.has(value)
}
