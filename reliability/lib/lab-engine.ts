import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Dockerode from 'dockerode'
import { LABEL } from '../../src/docker/labels'

const run = promisify(execFile)
const SCRIPT = join(__dirname, '..', '..', 'scripts', 'swarm-lab.sh')

/** A lab's name and /24 (scripts/swarm-lab.sh's LAB_NAME, LAB_SUBNET). */
export interface LabPlace {
  readonly name: string
  readonly subnet: string
}

/** The lab the SDK scenarios (R0-R2) use: a name and subnet no other lab on this machine takes. */
const SDK_LAB: LabPlace = { name: 'levrel', subnet: '10.79.9.0/24' }

/**
 * An engine of the scenario's own (scripts/swarm-lab.sh, one standalone dockerd in a network
 * namespace): it can be stopped and started at will without touching the machine's engine, and
 * everything levrt labels on it is the scenario's, so leaks are counted without filters.
 */
export class LabEngine {
  readonly docker: Dockerode

  readonly socket: string

  private constructor(
    private readonly place: LabPlace,
    /** Its network namespace: its containers' addresses are reachable from there. */
    readonly netns: string,
    readonly address: string,
    /** `unix:///run/<lab>/n1/docker.sock`, for DOCKER_HOST. */
    readonly host: string,
  ) {
    this.socket = host.replace(/^unix:\/\//, '')
    this.docker = new Dockerode({ socketPath: this.socket })
  }

  /** Brings the lab up with `images` loaded from the machine's engine. */
  static async up(images: readonly string[], place: LabPlace = SDK_LAB): Promise<LabEngine> {
    const { stdout } = await lab(place, ['up', '1', '--no-swarm'], { LAB_IMAGES: images.join(' ') })
    const [netns, address, host] = (stdout.trim().split('\n').pop() ?? '').split(' ')
    if (!host?.startsWith('unix://')) throw new Error(`swarm-lab.sh printed no engine: ${stdout}`)
    return new LabEngine(place, netns, address, host)
  }

  /** dockerd SIGTERM (it stops its containers first), as a host's engine restart does. */
  async stop(): Promise<void> {
    await lab(this.place, ['stop-node', '1'])
  }

  /**
   * Starts the engine again. A dockerd that does not come up (seen once in about 20 restarts
   * under load: it panicked at start after a restart that had to kill it) is recovered: stopped,
   * its network database dropped, started (swarm-lab.sh recover-node). `onRetry` hears why, for
   * the scenario's notes: it is the lab's dockerd failing, not levrt.
   */
  async start(onRetry?: (why: string) => void): Promise<void> {
    try {
      await lab(this.place, ['start-node', '1'])
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? String(err)
      onRetry?.(stderr.trim().split('\n').slice(0, 8).join(' / '))
      await lab(this.place, ['recover-node', '1'])
    }
  }

  async down(): Promise<void> {
    await lab(this.place, ['down'])
  }

  /**
   * What levrt labelled on this engine and a run should have removed: containers and networks,
   * and volumes but the shared runtime volume (a cache kept on purpose). Session reapers are
   * counted apart: a living process keeps one.
   */
  async leftovers(): Promise<{ objects: string[]; reapers: number }> {
    const filters = JSON.stringify({ label: [LABEL.managed] })
    const [containers, networks, volumes] = await Promise.all([
      this.docker.listContainers({ all: true, filters }),
      this.docker.listNetworks({ filters }),
      this.docker.listVolumes({ filters }),
    ])
    const reaper = (labels: Record<string, string> | undefined) => labels?.[LABEL.role] === 'reaper'
    return {
      objects: [
        ...containers.filter((c) => !reaper(c.Labels)).map((c) => `container ${c.Names[0]}`),
        ...networks.map((n) => `network ${n.Name}`),
        ...(volumes.Volumes ?? [])
          .filter((v) => !v.Labels?.[LABEL.runtimeKey])
          .map((v) => `volume ${v.Name}`),
      ],
      reapers: containers.filter((c) => reaper(c.Labels)).length,
    }
  }

  /** Polls until nothing is left (true) or `ms` passed (false). */
  async cleanWithin(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms
    for (;;) {
      const left = await this.leftovers().catch(() => undefined)
      if (left && left.objects.length === 0) return true
      if (Date.now() >= deadline) return false
      await sleep(500)
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

async function lab(
  place: LabPlace,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ stdout: string }> {
  return run('bash', [SCRIPT, ...args], {
    env: { ...process.env, LAB_NAME: place.name, LAB_SUBNET: place.subnet, ...env },
    maxBuffer: 16 * 1024 * 1024,
  })
}
