/**
 * BlackArch's tool groups: each member's value is the pacman group that installs its tools
 * (`BlackArch.Scanner === 'blackarch-scanner'`). A string enum, so a bare string or an `Attck`
 * member does not compile where a `BlackArch` is expected.
 *
 * ```ts
 * const cats = { BlackArch: [BlackArch.Scanner, BlackArch.Webapp] }
 * export const meta = annot.meta({ exports: [lab], desc: 'scan a lab web server', cats })
 * BlackArch.Webapp            // 'blackarch-webapp': `pacman -S blackarch-webapp` installs its tools
 * ```
 */
export enum BlackArch {
  AntiForensic = 'blackarch-anti-forensic',
  Automation = 'blackarch-automation',
  Automobile = 'blackarch-automobile',
  Backdoor = 'blackarch-backdoor',
  Binary = 'blackarch-binary',
  Bluetooth = 'blackarch-bluetooth',
  CodeAudit = 'blackarch-code-audit',
  Cracker = 'blackarch-cracker',
  Crypto = 'blackarch-crypto',
  Database = 'blackarch-database',
  Debugger = 'blackarch-debugger',
  Decompiler = 'blackarch-decompiler',
  Defensive = 'blackarch-defensive',
  Disassembler = 'blackarch-disassembler',
  Dos = 'blackarch-dos',
  Drone = 'blackarch-drone',
  Exploitation = 'blackarch-exploitation',
  Fingerprint = 'blackarch-fingerprint',
  Firmware = 'blackarch-firmware',
  Forensic = 'blackarch-forensic',
  Fuzzer = 'blackarch-fuzzer',
  Gpu = 'blackarch-gpu',
  Hardware = 'blackarch-hardware',
  Honeypot = 'blackarch-honeypot',
  Ids = 'blackarch-ids',
  Keylogger = 'blackarch-keylogger',
  Malware = 'blackarch-malware',
  Misc = 'blackarch-misc',
  Mobile = 'blackarch-mobile',
  Networking = 'blackarch-networking',
  Nfc = 'blackarch-nfc',
  Packer = 'blackarch-packer',
  Proxy = 'blackarch-proxy',
  Radio = 'blackarch-radio',
  Recon = 'blackarch-recon',
  Reversing = 'blackarch-reversing',
  Scanner = 'blackarch-scanner',
  Sniffer = 'blackarch-sniffer',
  Social = 'blackarch-social',
  Spoof = 'blackarch-spoof',
  Stego = 'blackarch-stego',
  ThreatModel = 'blackarch-threat-model',
  Tunnel = 'blackarch-tunnel',
  Unpacker = 'blackarch-unpacker',
  Voip = 'blackarch-voip',
  Webapp = 'blackarch-webapp',
  Windows = 'blackarch-windows',
  Wireless = 'blackarch-wireless',
  Wordlist = 'blackarch-wordlist',
}

const NAMES: ReadonlyMap<string, keyof typeof BlackArch> = new Map(
  (Object.keys(BlackArch) as (keyof typeof BlackArch)[]).map((name) => [BlackArch[name], name]),
)

/** The enum member's name, e.g. `'Scanner'` for `'blackarch-scanner'`. */
export function blackArchGroupName(group: BlackArch): keyof typeof BlackArch {
  const name = NAMES.get(group)
  if (name === undefined) throw new TypeError(`not a BlackArch group: ${String(group)}`)
  return name
}

/** Whether `value` is one of the groups. */
export function isBlackArch(value: unknown): value is BlackArch {
  return typeof value === 'string' && NAMES.has(value)
}
