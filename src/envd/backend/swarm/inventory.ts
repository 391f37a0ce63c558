import type Dockerode from 'dockerode'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { loadCompose } from '../../compose/load'
import { ENVD_LABEL, labelFilter } from '../docker/labels'
import { listNodes, type SwarmNode } from './nodes'
import { failures, missingImage, type SwarmTask } from './tasks'

export interface NodeInventory extends SwarmNode {
  /** Environments of this instance with a running task on the node. */
  readonly environments: number
  /** Images the compose files need that the node does not have. */
  readonly missing: readonly string[]
}

/** How long the image check waits for every node to answer. */
const CHECK_MS = 30_000

/**
 * The swarm's nodes as an operator needs them: address, state, availability, environments
 * running, and which images of the compose files under `composeRoot` each one lacks. The manager
 * cannot list a worker's images, so each image is tried once on every node by a global job
 * (never started: a node lacking the image rejects the task), removed afterwards.
 */
export async function nodeInventory(
  docker: Dockerode,
  instance: string,
  composeRoot: string,
): Promise<NodeInventory[]> {
  const [nodes, images] = await Promise.all([listNodes(docker), composeImages(composeRoot)])
  const running = await runningEnvs(docker, instance)
  const missing = await lacking(docker, instance, images, nodes)
  return nodes.map((n) => ({
    ...n,
    environments: running.get(n.id)?.size ?? 0,
    missing: images.filter((i) => missing.get(n.id)?.has(i)),
  }))
}

/** Every image named by a compose file under the folder (sorted, once each). */
export async function composeImages(root: string): Promise<string[]> {
  const files = await readdir(root, { recursive: true }).catch(() => [] as string[])
  const images = new Set<string>()
  for (const f of files.filter((f) => /\.ya?ml$/.test(f))) {
    const doc = (await loadCompose(join(root, f), f).catch(() => undefined)) as
      { services?: Record<string, { image?: unknown }> } | undefined
    for (const s of Object.values(doc?.services ?? {})) if (typeof s?.image === 'string') images.add(s.image)
  }
  return [...images].sort()
}

async function runningEnvs(docker: Dockerode, instance: string): Promise<Map<string, Set<string>>> {
  const services = await docker.listServices({ filters: labelFilter({ [ENVD_LABEL.instance]: instance }) })
  // Environments' services only (not the node guard's).
  const envOf = new Map(
    services.flatMap((s) => {
      const env = s.Spec?.Labels?.[ENVD_LABEL.env]
      return env === undefined ? [] : [[s.ID, env] as const]
    }),
  )
  const byNode = new Map<string, Set<string>>()
  if (!envOf.size) return byNode
  const tasks = (await docker.listTasks({
    filters: JSON.stringify({ service: [...envOf.keys()], 'desired-state': ['running'] }),
  })) as SwarmTask[]
  for (const t of tasks.filter((t) => t.Status.State === 'running' && t.NodeID)) {
    const set = byNode.get(t.NodeID!) ?? new Set<string>()
    set.add(envOf.get(t.ServiceID) ?? '')
    byNode.set(t.NodeID!, set)
  }
  return byNode
}

/** Node id -> the images it rejects. */
async function lacking(
  docker: Dockerode,
  instance: string,
  images: readonly string[],
  nodes: readonly SwarmNode[],
): Promise<Map<string, Set<string>>> {
  const byNode = new Map<string, Set<string>>()
  // Drained or lost nodes run no job: they are not asked.
  const asked = nodes.filter((n) => n.state === 'ready' && n.availability === 'active').map((n) => n.id)
  const jobs: Dockerode.Service[] = []
  try {
    for (const [i, image] of images.entries()) {
      jobs.push(
        await docker.createService({
          Name: `levrt-envd-${instance}-imagecheck-${process.pid}-${i}`,
          Labels: { [ENVD_LABEL.instance]: instance, 'io.levrt.role': 'envd:imagecheck' },
          Mode: { GlobalJob: {} },
          TaskTemplate: {
            // A command no image has: a node with the image fails the task without running anything.
            ContainerSpec: { Image: image, Command: ['/nonexistent/levrt-image-check'] },
            RestartPolicy: { Condition: 'none' },
          },
        }),
      )
    }
    const deadline = Date.now() + CHECK_MS
    for (const [i, job] of jobs.entries()) {
      // A node answers once one of its tasks ended: rejected for the image (it lacks it), or not.
      const answered = new Set<string>()
      while (answered.size < asked.length && Date.now() < deadline) {
        const tasks = (await docker.listTasks({
          filters: JSON.stringify({ service: [job.id] }),
        })) as SwarmTask[]
        for (const t of failures(tasks).filter((t) => t.NodeID && !answered.has(t.NodeID))) {
          answered.add(t.NodeID!)
          if (!missingImage(t)) continue
          const set = byNode.get(t.NodeID!) ?? new Set<string>()
          set.add(images[i])
          byNode.set(t.NodeID!, set)
        }
        if (answered.size < asked.length) await sleep(200)
      }
    }
  } finally {
    await Promise.all(
      jobs.map((j) =>
        docker
          .getService(j.id)
          .remove()
          .catch(() => undefined),
      ),
    )
  }
  return byNode
}
