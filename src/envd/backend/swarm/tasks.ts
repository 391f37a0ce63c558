import type Dockerode from 'dockerode'

/** A swarm task as the manager reports it (the fields we read). */
export interface SwarmTask {
  readonly ID: string
  readonly ServiceID: string
  readonly NodeID?: string
  readonly DesiredState: string
  readonly CreatedAt: string
  readonly Status: { readonly State: string; readonly Err?: string; readonly Message?: string }
  readonly Spec: { readonly ContainerSpec?: { readonly Image?: string } }
}

/** States a task never leaves. */
const ENDED = new Set(['complete', 'shutdown', 'failed', 'rejected', 'orphaned', 'remove'])

/** The tasks of some services, by service id. */
export async function tasksOf(
  docker: Dockerode,
  serviceIds: readonly string[],
): Promise<Map<string, SwarmTask[]>> {
  const byService = new Map<string, SwarmTask[]>(serviceIds.map((id) => [id, []]))
  if (!serviceIds.length) return byService
  const tasks = (await docker.listTasks({ filters: JSON.stringify({ service: serviceIds }) })) as SwarmTask[]
  for (const t of tasks) byService.get(t.ServiceID)?.push(t)
  for (const list of byService.values())
    list.sort((a, b) => Date.parse(b.CreatedAt) - Date.parse(a.CreatedAt))
  return byService
}

/**
 * The task the swarm means to run now, if any: the newest one meant to run (desired `running`,
 * or `ready` for a replacement waiting for the task it replaces to stop, as on a drained node).
 */
export function currentTask(tasks: readonly SwarmTask[]): SwarmTask | undefined {
  return tasks.find(
    (t) => (t.DesiredState === 'running' || t.DesiredState === 'ready') && !ENDED.has(t.Status.State),
  )
}

export function isRunning(task: SwarmTask | undefined): boolean {
  return task?.Status.State === 'running'
}

/** Tasks that failed to start or ended in error, newest first. */
export function failures(tasks: readonly SwarmTask[]): SwarmTask[] {
  return tasks.filter((t) => t.Status.State === 'rejected' || t.Status.State === 'failed')
}

/** A node refused the task because it lacks the image (the nodes never pull). */
export function missingImage(task: SwarmTask): boolean {
  return /no such image|pull access denied|repository does not exist|manifest unknown/i.test(
    task.Status.Err ?? '',
  )
}
