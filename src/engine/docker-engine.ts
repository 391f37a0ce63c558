import Dockerode from 'dockerode'
import { PassThrough, Readable } from 'node:stream'
import { ContainerCreateError, ContainerStartError, EngineLostError, EngineUnavailableError } from '../errors'
import { docker as sharedDocker, engineAddress } from './connection'
import type { Container, ContainerSpec, Engine, Output } from './engine'
import { pull } from './pull'

/** The engine layer on a Docker engine, through dockerode. */
export class DockerEngine implements Engine {
  constructor(private readonly docker: Dockerode = sharedDocker()) {}

  async create(spec: ContainerSpec): Promise<Container> {
    const options: Dockerode.ContainerCreateOptions = {
      name: spec.name,
      Image: spec.image,
      Cmd: spec.cmd ? [...spec.cmd] : undefined,
      Env: [...spec.env],
      Labels: { ...spec.labels },
      HostConfig: { NetworkMode: spec.network },
    }
    const create = async () => this.docker.createContainer(options)
    let container: Dockerode.Container
    try {
      container = await create()
    } catch (err) {
      if (!isNoSuchImage(err)) throw unreachable(err) ?? new ContainerCreateError(spec.image, err)
      await pull(this.docker, spec.image)
      try {
        container = await create()
      } catch (again) {
        throw unreachable(again) ?? new ContainerCreateError(spec.image, again)
      }
    }
    return new DockerContainer(this.docker, container, spec)
  }
}

class DockerContainer implements Container {
  readonly id: string
  constructor(
    private readonly docker: Dockerode,
    private readonly container: Dockerode.Container,
    private readonly spec: ContainerSpec,
  ) {
    this.id = container.id
  }

  get name(): string {
    return this.spec.name
  }

  async start(): Promise<void> {
    try {
      await this.container.start()
    } catch (err) {
      throw unreachable(err) ?? new ContainerStartError(this.spec.image, await this.tail(20).catch(() => ''), err)
    }
  }

  async wait(): Promise<number> {
    try {
      const { StatusCode } = (await this.container.wait()) as { StatusCode: number }
      return StatusCode
    } catch (err) {
      throw new EngineLostError(this.spec.image, await this.tail(20).catch(() => ''), err)
    }
  }

  async kill(signal: string): Promise<void> {
    try {
      await this.container.kill({ signal })
    } catch (err) {
      // 409: not running; 404: already removed. Either way there is nothing left to signal.
      if (statusOf(err) === 409 || statusOf(err) === 404) return
      throw unreachable(err) ?? err
    }
  }

  async attach(): Promise<Output> {
    // Attach, not `logs --follow`: the engine's follow stream can end before the log is drained
    // when a container exits quickly; attach reads the container's own pipes, as `docker run` does.
    const stream = (await this.container.attach({ stream: true, stdout: true, stderr: true }).catch((err: unknown) => {
      throw unreachable(err) ?? err
    })) as unknown as Readable
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    const ended = demux(this.docker, stream, stdout, stderr).finally(() => {
      stdout.end()
      stderr.end()
    })
    return { stdout, stderr, ended }
  }

  async tail(lines: number): Promise<string> {
    const raw = (await this.container.logs({ stdout: true, stderr: true, tail: lines })) as unknown as Buffer
    const both = new PassThrough()
    const chunks: Buffer[] = []
    both.on('data', (c: Buffer) => chunks.push(c))
    await demux(this.docker, Readable.from([raw]), both, both)
    return Buffer.concat(chunks).toString('utf8').trimEnd()
  }

  async remove(): Promise<void> {
    try {
      await this.container.remove({ force: true, v: true })
    } catch (err) {
      // 404: gone already; 409: the engine is already removing it.
      if (statusOf(err) === 404 || statusOf(err) === 409) return
      throw unreachable(err) ?? err
    }
  }
}

/** Splits the engine's multiplexed log stream into stdout and stderr without ending them. */
function demux(docker: Dockerode, stream: Readable, stdout: PassThrough, stderr: PassThrough): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.demuxStream(stream, stdout, stderr)
    stream.once('end', resolve)
    stream.once('error', reject)
  })
}

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number } | undefined)?.statusCode
}

function isNoSuchImage(err: unknown): boolean {
  return statusOf(err) === 404 && /no such image/i.test(String((err as Error).message))
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND'])

/** Connection-level failures mean the engine is gone, whatever call hit them. */
function unreachable(err: unknown): EngineUnavailableError | undefined {
  const code = (err as { code?: unknown } | undefined)?.code
  return typeof code === 'string' && UNREACHABLE.has(code) ? new EngineUnavailableError(engineAddress(), err) : undefined
}
