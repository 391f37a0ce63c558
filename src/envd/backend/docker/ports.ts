import { DeployError } from '../backend'

/** How long a port the host refused is skipped before it is tried again. */
const REFUSED_MS = 60_000

/**
 * Host ports from `--ports`, handed out so that no two environments ever get the same one, even
 * when creates run concurrently: a reservation is one synchronous step (no await between the
 * check and the take), and the engine's "port is already allocated" (another program holds it)
 * moves that port aside for a while.
 */
export class PortAllocator {
  private readonly owners = new Map<number, number>()
  private readonly refused = new Map<number, number>()

  constructor(
    private readonly first: number,
    private readonly last: number,
  ) {}

  /** Records a port found in use by an environment at start-up. */
  adopt(port: number, id: number): void {
    this.owners.set(port, id)
  }

  reserve(id: number, now = Date.now()): number {
    const size = this.last - this.first + 1
    const offset = Math.floor(Math.random() * size)
    for (let i = 0; i < size; i++) {
      const port = this.first + ((offset + i) % size)
      if (this.owners.has(port) || (this.refused.get(port) ?? 0) > now) continue
      this.owners.set(port, id)
      return port
    }
    throw new DeployError(`no free host port left in ${this.first}-${this.last}`)
  }

  /** The host would not publish on `port`: free it and avoid it for a while. */
  refusedByHost(port: number, now = Date.now()): void {
    this.owners.delete(port)
    this.refused.set(port, now + REFUSED_MS)
  }

  release(id: number): void {
    for (const [port, owner] of this.owners) if (owner === id) this.owners.delete(port)
  }

  get used(): number {
    return this.owners.size
  }
}
