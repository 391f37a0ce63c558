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
      const found = await this.rules()
      if (!found) await this.iptables(['-N', this.chain])
      await this.ensureJump()
      const mine = (found?.ours ?? []).filter((r) => r.name === net.name)
      const want = ruleSpecs(net.name, net.iface)
      if (
        mine.length === want.length &&
        mine.every((r, i) => r.iface === net.iface && r.target === want[i].target)
      )
        return
      for (const r of mine) await this.iptables(['-D', this.chain, ...ruleSpec(r)])
      for (const r of want) await this.iptables(['-A', this.chain, ...ruleSpec(r)])
    })
  }

  /** Removes the rules of the network called `name` (the chain too once empty). */
  release(name: string): Promise<void> {
    return this.lock.run(async () => void (await this.removeWhere((r) => r.name === name)))
  }

  /** Removes the rules of every network `keep` does not claim; answers the networks it freed. */
  sweep(keep: (name: string) => boolean): Promise<string[]> {
    return this.lock.run(async () => [
      ...new Set((await this.removeWhere((r) => !keep(r.name))).map((r) => r.name)),
    ])
  }

  /** The networks that have rules in the chain, a line each (none when it does not exist). */
  async listed(): Promise<Guarded[]> {
    return ((await this.rules())?.ours ?? []).map(({ name, iface }) => ({ name, iface }))
  }

  private async removeWhere(match: (r: Rule) => boolean): Promise<Rule[]> {
    const found = await this.rules()
    if (!found) return []
    const gone = found.ours.filter(match)
    for (const r of gone) await this.iptables(['-D', this.chain, ...ruleSpec(r)])
    if (found.count === gone.length) {
      while (await this.succeeds(['-C', 'INPUT', ...this.jump()]))
        await this.iptables(['-D', 'INPUT', ...this.jump()])
      await this.iptables(['-X', this.chain])
    }
    return gone
  }

  /** The chain's rules (ours parsed, `count` of all of them), or undefined when there is no chain. */
  private async rules(): Promise<{ ours: Rule[]; count: number } | undefined> {
    const text = await this.iptables(['-S', this.chain]).catch(() => undefined)
    if (text === undefined) return undefined
    const lines = text.split('\n').filter((l) => l.startsWith('-A '))
    const ours = lines.flatMap((line): Rule[] => {
      const m = new RegExp(`-i (\\S+) .*--comment "?${RULE_TAG}([^"\\s]+)"? -j (RETURN|DROP)$`).exec(line)
      return m ? [{ iface: m[1], name: m[2], target: m[3] as Rule['target'] }] : []
    })
    return { ours, count: lines.length }
  }

  private jump(): string[] {
    return ['-m', 'comment', '--comment', `${RULE_TAG}instance=${this.instance}`, '-j', this.chain]
  }

  /** First in INPUT: an operator's broad ACCEPT further down must not let a challenge through. */
  private async ensureJump(): Promise<void> {
    if (!(await this.succeeds(['-C', 'INPUT', ...this.jump()])))
      await this.iptables(['-I', 'INPUT', '1', ...this.jump()])
  }

  private succeeds(args: readonly string[]): Promise<boolean> {
    return this.iptables(args).then(
      () => true,
      () => false,
    )
  }
}

interface Rule extends Guarded {
  readonly target: 'RETURN' | 'DROP'
}

/** Replies to the node's own connections go on (to INPUT's own rules); anything else is dropped. */
function ruleSpecs(name: string, iface: string): Rule[] {
  return [
    { name, iface, target: 'RETURN' },
    { name, iface, target: 'DROP' },
  ]
}

function ruleSpec(r: Rule): string[] {
  const state = r.target === 'RETURN' ? ['-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED'] : []
  return ['-i', r.iface, ...state, '-m', 'comment', '--comment', `${RULE_TAG}${r.name}`, '-j', r.target]
}
