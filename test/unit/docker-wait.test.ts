import type Dockerode from 'dockerode'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { EngineGuard } from '../../src/docker/guard'
import { DockerContainer } from '../../src/engine/docker-container'
import type { ContainerSpec } from '../../src/engine/engine'

/**
 * R0 saw waits stay open 150 s after an engine restart with no other call failing to notice it:
 * the container's wait must not depend on the engine's answer to it alone.
 */
describe("a container's wait", () => {
  afterEach(() => void vi.useRealTimers())

  it('ends with the exit code the engine reports, though the wait request never answers', async () => {
    vi.useFakeTimers()
    let inspections = 0
    const stuck = {
      id: 'c1',
      wait: () => new Promise(() => {}), // an answer that never comes
      inspect: async () => {
        inspections++
        return { State: { Running: inspections < 2, ExitCode: 143 } }
      },
    } as unknown as Dockerode.Container
    const container = new DockerContainer(
      stuck,
      { image: 'levrt/busybox' } as ContainerSpec,
      new EngineGuard('test'),
    )
    const exit = container.wait()
    await vi.advanceTimersByTimeAsync(10_000) // first check: still running
    expect(inspections).toBe(1)
    await vi.advanceTimersByTimeAsync(10_000) // second: it ended
    await expect(exit).resolves.toBe(143)
    await vi.advanceTimersByTimeAsync(30_000)
    expect(inspections).toBe(2) // no more checks once it ended
  })
})
