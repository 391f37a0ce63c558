import { createHash } from 'node:crypto'
import { Mutex } from '../../lock'
import { iptablesFailure, type Iptables } from './iptables'

/** The prefix of every comment we put on a rule: what a sweep (or an operator's grep) looks for. */
export const RULE_TAG = 'levrt-envd:'

/** A network whose traffic to the node is dropped: its name (the rules' comment) and its bridge. */
export interface Guarded {
  readonly name: string
  readonly iface: string
}

/**
 * Node isolation: packets that come in on one of the service's bridges and are addressed to the
 * node itself (the INPUT path, which the engine's DOCKER-USER chain does not see) are dropped,
 * except replies to connections the node opened (readiness probes, docker-proxy relaying a
 * published port). Traffic between containers and published-port traffic are forwarded, not
 * input, so they are untouched; the engine's DNS resolver is inside each container.
 *
 * One chain per instance (`LEVRT-ENVD-<hash of the instance>`), jumped to first thing in INPUT,
 * two rules per network commented `levrt-envd:<network>`. The chain exists while it has rules.
 * Every change goes through one lock, so a sweep never races an install.
 */
export class NodeFirewall {
  readonly chain: string
  private readonly lock = new Mutex()

  constructor(
    private readonly iptables: Iptables,
    private readonly instance: string,
  ) {
    this.chain = `LEVRT-ENVD-${createHash('sha256').update(instance).digest('hex').slice(0, 12)}`
  }

  /** Refuses (NodeIsolationError, saying why) where rules cannot be installed. */
  async check(): Promise<void> {
    await this.iptables(['-S', 'INPUT']).catch((err: unknown) => {
      throw iptablesFailure(err)
    })
  }

  /**
   * Installs the network's rules, unless they are there already (a restart); rules of an earlier
   * network of the same name (another bridge) are replaced.
   */
  isolate(net: Guarded): Promise<void> {
    return this.lock.run(async () => {
      await this.ensureChain()
      const rules = ruleSpecs(net)
      const present = await Promise.all(rules.map((r) => this.has(this.chain, r)))
      const stale = (await this.listed()).filter((n) => n.name === net.name && n.iface !== net.iface)
      if (present.every(Boolean) && !stale.length) return
      for (const n of [...stale, net]) await this.drop(n)
      for (const r of rules) await this.iptables(['-A', this.chain, ...r])
    })
  }

  /** Removes the rules of the network called `name` (the chain too once empty). */
  release(name: string): Promise<void> {
    return this.lock.run(async () => {
      for (const n of (await this.listed()).filter((n) => n.name === name)) await this.drop(n)
      await this.dropChainIfEmpty()
    })
  }

  /** Removes the rules of every network `keep` does not claim; answers the networks it freed. */
  sweep(keep: (name: string) => boolean): Promise<string[]> {
    return this.lock.run(async () => {
      const stale = (await this.listed()).filter((n) => !keep(n.name))
      for (const n of stale) await this.drop(n)
      await this.dropChainIfEmpty()
      return [...new Set(stale.map((n) => n.name))]
    })
  }

  /** The networks that have rules in the chain (none when it does not exist). */
  async listed(): Promise<Guarded[]> {
    if (!(await this.chainExists())) return []
    const lines = (await this.iptables(['-S', this.chain])).split('\n')
    return lines.flatMap((line) => {
      const m = new RegExp(`-i (\\S+) .*--comment "?${RULE_TAG}([^"\\s]+)"?`).exec(line)
      return m ? [{ iface: m[1], name: m[2] }] : []
    })
  }

  private jump(): string[] {
    return ['-m', 'comment', '--comment', `${RULE_TAG}instance=${this.instance}`, '-j', this.chain]
  }

  private async ensureChain(): Promise<void> {
    if (!(await this.chainExists())) await this.iptables(['-N', this.chain])
    // First in INPUT: an operator's broad ACCEPT further down must not let a challenge through.
    if (!(await this.has('INPUT', this.jump()))) await this.iptables(['-I', 'INPUT', '1', ...this.jump()])
  }

  private async dropChainIfEmpty(): Promise<void> {
    if (!(await this.chainExists())) return
    const rules = (await this.iptables(['-S', this.chain])).split('\n').filter((l) => l.startsWith('-A '))
    if (rules.length) return
    while (await this.has('INPUT', this.jump())) await this.iptables(['-D', 'INPUT', ...this.jump()])
    await this.iptables(['-X', this.chain])
  }

  private async drop(net: Guarded): Promise<void> {
    for (const r of ruleSpecs(net))
      while (await this.has(this.chain, r)) await this.iptables(['-D', this.chain, ...r])
  }

  private async has(chain: string, rule: readonly string[]): Promise<boolean> {
    if (chain !== 'INPUT' && !(await this.chainExists())) return false
    return this.iptables(['-C', chain, ...rule]).then(
      () => true,
      () => false,
    )
  }

  private chainExists(): Promise<boolean> {
    return this.iptables(['-n', '-L', this.chain]).then(
      () => true,
      () => false,
    )
  }
}

/** Replies to the node's own connections go on (to INPUT's own rules); anything else is dropped. */
function ruleSpecs(net: Guarded): string[][] {
  const comment = ['-m', 'comment', '--comment', `${RULE_TAG}${net.name}`]
  return [
    ['-i', net.iface, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', ...comment, '-j', 'RETURN'],
    ['-i', net.iface, ...comment, '-j', 'DROP'],
  ]
}
