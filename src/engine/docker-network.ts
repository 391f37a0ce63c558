import type Dockerode from 'dockerode'
import type { EngineGuard } from '../docker/guard'
import type { Network } from './engine'

/** A user network of a run, on a Docker engine. */
export class DockerNetwork implements Network {
  constructor(
    private readonly network: Dockerode.Network,
    readonly name: string,
    private readonly guard: EngineGuard,
  ) {}

  connect(container: string, aliases: readonly string[]): Promise<void> {
    return this.guard.call(() =>
      this.network.connect({ Container: container, EndpointConfig: { Aliases: [...aliases] } }),
    )
  }

  disconnect(container: string): Promise<void> {
    return this.guard.remove(() => this.network.disconnect({ Container: container, Force: true }))
  }

  remove(): Promise<void> {
    return this.guard.remove(() => this.network.remove())
  }
}
