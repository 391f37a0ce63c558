import type Dockerode from 'dockerode'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { EngineGuard, engineError } from '../../src/docker/guard'
import { EngineLostError, EngineUnavailableError } from '../../src/errors'
import { DockerContainer } from '../../src/engine/docker-container'
import type { ContainerSpec } from '../../src/engine/engine'

/** A DockerContainer over a fake of dockerode's container. */
function containerOf(fake: Dockerode.Container): DockerContainer {
  return new DockerContainer(fake, { image: 'levrt/busybox' } as ContainerSpec, new EngineGuard('test'))
}

/**
 * R0 saw waits stay open 150 s after an engine restart with no other call failing to notice it:
 * the container's wait must not depend on the engine's answer to it alone.
 */
describe("a container's wait", () => {
  afterEach(() => void vi.useRealTimers())

  it('ends though the wait request never answers: the engine lost it, not "exited 0"', async () => {
    vi.useFakeTimers()
    let inspections = 0
    // A dockerd restarted under a running container marks it exited with code 0 (R1 stored such
    // runs as ok, without the records they were about to write).
    const stuck = {
      id: 'c1',
      wait: () => new Promise(() => {}), // an answer that never comes: sent to the engine before
      inspect: async () => {
        inspections++
        return inspections < 2
          ? { State: { Running: true, Status: 'running', ExitCode: 0 } }
          : { State: { Running: false, Status: 'exited', ExitCode: 0 } }
      },
    } as unknown as Dockerode.Container
    const container = containerOf(stuck)
    const exit = container.wait()
    const lost = expect(exit).rejects.toBeInstanceOf(EngineLostError)
    await vi.advanceTimersByTimeAsync(10_000) // first check: still running
    expect(inspections).toBe(1)
    await vi.advanceTimersByTimeAsync(10_000) // second: it ended, by the engine's account
    await vi.advanceTimersByTimeAsync(5_000) // and the wait did not answer meanwhile
    await lost
    await vi.advanceTimersByTimeAsync(30_000)
    expect(inspections).toBe(2) // no more checks once it ended
  })

  it("takes the wait's answer when it trails a check that saw the end (a live engine)", async () => {
    vi.useFakeTimers()
    let answer: (r: { StatusCode: number }) => void = () => undefined
    const live = {
      id: 'c3',
      wait: () => new Promise((resolve) => (answer = resolve)),
      inspect: async () => ({ State: { Running: false, Status: 'exited', ExitCode: 3 } }),
    } as unknown as Dockerode.Container
    const container = containerOf(live)
    const exit = container.wait()
    await vi.advanceTimersByTimeAsync(10_000) // the check sees the end first
    await vi.advanceTimersByTimeAsync(1_000)
    answer({ StatusCode: 3 })
    await expect(exit).resolves.toBe(3)
  })
})

describe("a container's wait, when the engine lost the container as it started", () => {
  afterEach(() => void vi.useRealTimers())

  it('fails (the engine lost it) rather than reading "not running, exit 0" as an end', async () => {
    vi.useFakeTimers()
    const lost = {
      id: 'c2',
      wait: () => new Promise(() => {}),
      inspect: async () => ({ State: { Running: false, Status: 'created', ExitCode: 0 } }),
    } as unknown as Dockerode.Container
    const container = containerOf(lost)
    const exit = container.wait()
    const failed = expect(exit).rejects.toBeInstanceOf(EngineLostError)
    await vi.advanceTimersByTimeAsync(10_000)
    await failed
  })
})

describe('an engine error', () => {
  const http500 = (message: string) =>
    Object.assign(new Error(`(HTTP code 500) server error - ${message}`), {
      statusCode: 500,
      json: { message },
    })

  it('from an engine shutting down is the engine unavailable; a refusal of the container is not', () => {
    for (const message of [
      'transport is closing: unavailable',
      'get levrt-runtime-x: database not open',
      'failed to update store for object type *libnetwork.endpointCnt: open : no such file or directory',
    ])
      expect(engineError('unix:///lab.sock', http500(message))).toBeInstanceOf(EngineUnavailableError)
    const refused = http500(
      'OCI runtime create failed: exec: "nope": executable file not found in $PATH: unknown',
    )
    expect(engineError('unix:///lab.sock', refused)).toBe(refused)
    const connection = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    expect(engineError('unix:///lab.sock', connection)).toBeInstanceOf(EngineUnavailableError)
  })
})
