import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { resolve } from 'node:path'

const ROOT = resolve(__dirname, '../..')

export interface EnvdChildOptions {
  /** `levrt envd` flags (the child gets `--listen` only if given here). */
  readonly args: readonly string[]
  /** Added to this process's environment (LEV_HOME, LEV_MONGO_URL, DOCKER_HOST...). */
  readonly env: Record<string, string | undefined>
  /** Run inside this network namespace (`ip netns exec`): a lab engine's containers are reachable there. */
  readonly netns?: string
}

/**
 * `levrt envd` as its own process (the source through tsx, no build needed), so that it can be
 * killed with SIGKILL the way an operator's host kills it. Its pino lines are kept to count
 * what it logged at error level.
 */
export class EnvdChild {
  private readonly lines: string[] = []
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly exited: Promise<unknown>,
    collected: string[],
  ) {
    this.lines = collected
  }

  static async start(options: EnvdChildOptions, timeoutMs = 60_000): Promise<EnvdChild> {
    const node = [process.execPath, '--import', 'tsx', 'src/cli/levrt.ts', 'envd', ...options.args]
    const [cmd, ...argv] = options.netns ? ['ip', 'netns', 'exec', options.netns, ...node] : node
    const child = spawn(cmd, argv, {
      cwd: ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const lines: string[] = []
    let stderr = ''
    const keep = (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
    child.stdout!.on('data', keep)
    const exited = once(child, 'exit').catch(() => undefined)
    const url = await new Promise<string>((done, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`levrt envd did not listen in ${timeoutMs} ms: ${stderr}`)),
        timeoutMs,
      )
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8')
        const found = /listening on (http:\/\/\S+)/.exec(stderr)
        if (found) {
          clearTimeout(timer)
          done(found[1])
        }
      })
      void exited.then(() => {
        clearTimeout(timer)
        fail(new Error(`levrt envd exited before listening: ${stderr}`))
      })
    })
    return new EnvdChild(child, url, exited, lines)
  }

  /** Lines it logged at error level (pino 50) or worse, from line `from` on. */
  errors(from = 0): string[] {
    return this.lines.slice(from).filter((l) => /"level":(5|6)\d/.test(l))
  }

  get logLines(): number {
    return this.lines.length
  }

  /** SIGKILL: no close, no flush, the way a host's OOM killer or `kill -9` ends it. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL')
    await this.exited
  }

  /** SIGTERM, as an operator stops it (environments stay). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    this.child.kill('SIGTERM')
    await this.exited
  }
}
