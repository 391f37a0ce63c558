import type Dockerode from 'dockerode'
import { PassThrough, Readable } from 'node:stream'
import type { EngineGuard } from '../docker/guard'
import { isGone } from '../docker/status'
import { ContainerStartError, EngineLostError, EngineUnavailableError } from '../errors'
import { demuxStream } from './demux'
import { firstAddress } from './docker-create-options'
import type { Container, ContainerSpec, Output } from './engine'

/** How often a container's wait is checked against the engine's own view (see waitOrCheck). */
const WAIT_CHECK_MS = 10_000
/** How long the wait's own answer may trail a check that found the container ended. */
const WAIT_ANSWER_GRACE_MS = 5_000

/** One container on a Docker engine; every call goes through the engine's guard. */
export class DockerContainer implements Container {
  readonly id: string
  constructor(
    private readonly container: Dockerode.Container,
    private readonly spec: ContainerSpec,
    private readonly guard: EngineGuard,
  ) {
    this.id = container.id
  }

  get name(): string {
    return this.spec.name
  }

  async put(tar: Readable): Promise<void> {
    // A broken source (say, a local file that vanished) must fail the call, not hang it.
    const failed = new Promise<never>((_, reject) => tar.once('error', reject))
    await this.guard.call(() =>
      Promise.race([
        this.container.putArchive(tar as unknown as NodeJS.ReadableStream, { path: '/' }),
        failed,
      ]),
    )
  }

  async read(path: string): Promise<Readable | undefined> {
    return this.guard.call(async () => {
      try {
        return (await this.container.getArchive({ path })) as unknown as Readable
      } catch (err) {
        if (isGone(err)) return undefined
        throw err
      }
    })
  }

  async stat(path: string): Promise<{ size: number; mtime: string } | undefined> {
    return this.guard.call(async () => {
      let res: Readable & { headers: Record<string, string | undefined> }
      try {
        res = (await this.container.infoArchive({ path })) as unknown as typeof res
      } catch (err) {
        if (isGone(err)) return undefined
        throw err
      }
      res.resume()
      const header = res.headers['x-docker-container-path-stat']
      if (!header) return undefined
      const info = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as {
        size: number
        mtime: string
      }
      return { size: info.size, mtime: info.mtime }
    })
  }

  async changes(): Promise<string[]> {
    const changes = (await this.guard.call(() => this.container.changes())) as { Path: string }[] | null
    return (changes ?? []).map((c) => c.Path)
  }

  async attach(): Promise<Output> {
    // Attach, not `logs --follow`: the engine's follow stream can end before the log is drained
    // when a container exits quickly; attach reads the container's own pipes, as `docker run` does.
    const stream = (await this.guard.call(() =>
      this.container.attach({ stream: true, stdout: true, stderr: true }),
    )) as unknown as Readable
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    const ended = demuxStream(stream, stdout, stderr).finally(() => {
      stdout.end()
      stderr.end()
    })
    return { stdout, stderr, ended }
  }

  async start(): Promise<void> {
    try {
      await this.guard.call(() => this.container.start())
    } catch (err) {
      if (err instanceof EngineUnavailableError) throw err
      throw new ContainerStartError(this.spec.image, await this.tail(20).catch(() => ''), err)
    }
  }

  async wait(): Promise<number> {
    try {
      return await this.waitOrCheck()
    } catch (err) {
      throw new EngineLostError(this.spec.image, await this.tail(20).catch(() => ''), err)
    }
  }

  /**
   * The engine's wait, checked again whenever another call finds the engine unreachable, and
   * every WAIT_CHECK_MS: a wait sent to an engine that was shutting down can stay open after the
   * engine is gone and back (seen in R0: three waits open 150 s after a restart, when no other
   * call had failed to notice it), and would hold the run forever. The check asks the engine.
   *
   * Only the wait's answer gives the exit code. A check that finds the container ended gives the
   * wait WAIT_ANSWER_GRACE_MS to answer (it does at once on a live engine); one that does not was
   * sent to an engine that has restarted since, and the end that engine reports is its guess: a
   * dockerd that restarts marks a container it lost as exited with code 0 (R1: runs stored as ok
   * without the records they were about to write, 1-3 in 500). The end is then not known.
   */
  private waitOrCheck(): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let settled = false
      let checking = false
      let grace: NodeJS.Timeout | undefined
      const settle = (fn: () => void) => {
        if (settled) return
        settled = true
        stopWatching()
        clearInterval(timer)
        clearTimeout(grace)
        fn()
      }
      const unanswered = () =>
        settle(() =>
          reject(
            new Error(
              "the engine restarted while the container ran: its wait never answered, and the end it reports since is not known to be the container's",
            ),
          ),
        )
      const timer = setInterval(() => check(), WAIT_CHECK_MS)
      const stopWatching = this.guard.onUnreachable(() => check())
      const check = () => {
        if (checking || settled) return
        checking = true
        this.guard
          .call(() => this.container.inspect())
          .then(
            (info) => {
              checking = false
              const state = info.State
              // An end the engine recorded waits for the wait's answer (above). A container an
              // engine restart left `created` (its start accepted, then lost) never ran.
              if (state?.Status === 'exited' || state?.Status === 'dead') {
                clearInterval(timer)
                grace ??= setTimeout(unanswered, WAIT_ANSWER_GRACE_MS)
              } else if (state?.Status === 'created')
                settle(() => reject(new Error('the container never ran: the engine lost it as it started')))
            },
            (err: unknown) => settle(() => reject(err)),
          )
      }
      this.container.wait().then(
        // An answer with an error (the engine's wait was cut short: it shuts down) has no exit code.
        (result: { StatusCode: number; Error?: { Message?: string } | null }) =>
          settle(() =>
            result.Error
              ? reject(
                  new Error(`the engine's wait ended without the container's end: ${result.Error.Message}`),
                )
              : resolve(result.StatusCode),
          ),
        (err: unknown) => settle(() => reject(err)),
      )
    })
  }

  /** 304: already stopped; 404: already removed. */
  stop(graceSeconds: number): Promise<void> {
    return this.guard.remove(() => this.container.stop({ t: graceSeconds }), 304)
  }

  async oomKilled(): Promise<boolean> {
    const info = await this.guard.call(() => this.container.inspect())
    return info.State?.OOMKilled === true
  }

  /** 409: not running; 404: already removed. Either way there is nothing left to signal. */
  kill(signal: string): Promise<void> {
    return this.guard.remove(() => this.container.kill({ signal }), 409)
  }

  async ip(): Promise<string | undefined> {
    return firstAddress(await this.guard.call(() => this.container.inspect()))
  }

  async tail(lines: number): Promise<string> {
    const raw = (await this.container.logs({ stdout: true, stderr: true, tail: lines })) as unknown as Buffer
    const both = new PassThrough()
    const chunks: Buffer[] = []
    both.on('data', (c: Buffer) => chunks.push(c))
    await demuxStream(Readable.from([raw]), both, both)
    return Buffer.concat(chunks).toString('utf8').trimEnd()
  }

  /** 409: the engine is already removing it. */
  remove(): Promise<void> {
    return this.guard.remove(() => this.container.remove({ force: true, v: true }), 409)
  }
}
