import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { promisify } from 'node:util'

const SCRIPT = resolve(__dirname, '../../scripts/swarm-lab.sh')
const run = promisify(execFile)

/** One standalone engine of our own (scripts/swarm-lab.sh up 1 --no-swarm), for faults that stop it. */
export interface LabEngine {
  /** Its network namespace: its containers' addresses are reachable from there. */
  readonly netns: string
  readonly address: string
  /** `unix:///run/<lab>/n1/docker.sock`, for DOCKER_HOST. */
  readonly host: string
  stop(): Promise<void>
  start(): Promise<void>
  down(): Promise<void>
}

export async function labEngine(name: string, subnet: string, images: readonly string[]): Promise<LabEngine> {
  const env = { ...process.env, LAB_NAME: name, LAB_SUBNET: subnet, LAB_IMAGES: images.join(' ') }
  const lab = (...args: string[]) => run('bash', [SCRIPT, ...args], { env, maxBuffer: 1 << 24 })
  const { stdout } = await lab('up', '1', '--no-swarm')
  const [netns, address, host] = stdout.trim().split('\n').pop()!.split(' ')
  return {
    netns,
    address,
    host,
    stop: async () => void (await lab('stop-node', '1')),
    start: async () => void (await lab('start-node', '1')),
    down: async () => void (await lab('down')),
  }
}
