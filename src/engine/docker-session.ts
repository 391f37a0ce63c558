import type Dockerode from 'dockerode'
import type { Socket } from 'node:net'
import type { EngineGuard } from '../docker/guard'
import { createOptions } from './docker-create-options'
import type { ContainerSpec } from './engine'

/**
 * A container whose stdin is held by this process (see Engine.holdSession). The attach is made
 * before the start with `StdinOnce`, so the engine closes the container's stdin as soon as this
 * attach connection goes, whatever ends it: the process exiting, a crash, SIGKILL. The socket
 * is unref'd: holding it must never keep a workflow process from exiting on its own.
 */
export async function holdSession(
  docker: Dockerode,
  guard: EngineGuard,
  spec: ContainerSpec,
): Promise<string> {
  const base = createOptions(spec)
  const options: Dockerode.ContainerCreateOptions = {
    ...base,
    User: '0:0',
    AttachStdin: true,
    OpenStdin: true,
    StdinOnce: true,
    HostConfig: { ...base.HostConfig, AutoRemove: true },
  }
  const container = await guard.call(() => docker.createContainer(options))
  try {
    const stream = (await guard.call(() =>
      container.attach({ stream: true, stdin: true, stdout: false, stderr: false, hijack: true }),
    )) as unknown as Socket
    // The engine answers nothing on this stream; an error means the connection is gone, which
    // is the signal the container acts on, not ours to report.
    stream.on('error', () => undefined)
    stream.unref()
    await guard.call(() => container.start())
    return container.id
  } catch (err) {
    await container.remove({ force: true }).catch(() => undefined)
    throw err
  }
}
