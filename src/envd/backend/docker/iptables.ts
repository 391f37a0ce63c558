import { execFile } from 'node:child_process'

/** Runs one iptables command (`-w`: waits for the xtables lock the engine also takes); answers stdout. */
export type Iptables = (args: readonly string[]) => Promise<string>

/** The service cannot isolate the node: it does not start, and says why and what to do. */
export class NodeIsolationError extends Error {
  override readonly name = 'NodeIsolationError'
  constructor(reason: string) {
    super(
      `node isolation: ${reason}. Without it a player with a shell in a challenge reaches every service of ` +
        'the node (this API included). Fix that, or pass --no-node-isolation if you firewall the node yourself',
    )
  }
}

export function iptables(binary = 'iptables'): Iptables {
  return (args) =>
    new Promise((resolve, reject) => {
      execFile(binary, ['-w', ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
        if (err) reject(Object.assign(err, { stderr: String(stderr).trim() }))
        else resolve(String(stdout))
      })
    })
}

/** Why iptables did not work, as a NodeIsolationError. */
export function iptablesFailure(err: unknown): NodeIsolationError {
  const e = err as NodeJS.ErrnoException & { stderr?: string }
  if (e.code === 'ENOENT') return new NodeIsolationError('iptables is not installed (or not on PATH)')
  if (e.code === 'EACCES') return new NodeIsolationError('iptables cannot be run by this user')
  const said = e.stderr || e.message
  if (/permission denied|must be root|operation not permitted/i.test(said)) {
    return new NodeIsolationError(
      `iptables needs root (CAP_NET_ADMIN), and this process is not: ${firstLine(said)}`,
    )
  }
  return new NodeIsolationError(`iptables failed: ${firstLine(said)}`)
}

function firstLine(text: string): string {
  return text.split('\n')[0].trim()
}
