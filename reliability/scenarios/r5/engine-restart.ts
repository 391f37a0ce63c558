import { setTimeout as sleep } from 'node:timers/promises'
import { EnvdChild } from '../../lib/envd-child'
import { deleteAll, request, settledList, type View } from '../../lib/envd-client'
import { LabEngine } from '../../lib/lab-engine'
import { BUSYBOX, instanceObjects, scratch, type PartResult } from '../../lib/envd-scratch'

const LAB = { name: 'levrd', subnet: '10.79.10.0/24' }

/**
 * The engine stopped (dockerd SIGTERM: it stops every container) and started again under
 * `count` live environments, on a lab engine of our own: their containers come back by their
 * restart policy, and `get` tells the truth: each environment it says CREATED answers on its
 * port again, and renew (which checks every container runs) accepts it.
 */
export async function engineRestart(count: number, log: (line: string) => void): Promise<PartResult> {
  const dirs = scratch()
  const lab = await LabEngine.up(['levrt/busybox:latest', `${BUSYBOX.repo}:${BUSYBOX.tag}`], LAB)
  const engine = lab.docker
  const instance = 'r5e'
  const problems: string[] = []
  let child: EnvdChild | undefined
  try {
    child = await EnvdChild.start({
      netns: lab.netns,
      args: [
        ...['--listen', `${lab.address}:0`, '--insecure-no-token', '--node-ip', lab.address],
        ...['--data', dirs.data, '--instance', instance, '--ports', `30000-${30000 + count + 49}`],
        ...['--max-per-uid', String(count), '--max-total', String(count + 20), '--reap-every', '600'],
        '--no-node-isolation',
      ],
      env: {
        LEV_HOME: dirs.home,
        LEV_MONGO_URL: undefined,
        LEVRT_ENVD_TOKEN: undefined,
        DOCKER_HOST: lab.host,
      },
    })
    const base = child.url
    const uids = Math.max(2, Math.ceil(count / 5))
    for (let i = 0; i < count; i += 20)
      await Promise.all(
        Array.from({ length: Math.min(20, count - i) }, (_, j) =>
          request(base, 'POST', '/env/create', {
            uid: ((i + j) % uids) + 1,
            challenge: i + j + 1,
            compose_file: 'light.yaml',
          }),
        ),
      )
    const before = await settledList(base, 300_000)
    const created = before.filter((v) => v.status === 1)
    if (created.length !== count)
      problems.push(`${count - created.length} of ${count} not CREATED before the fault`)
    log(`${created.length} environments live on the lab engine; stopping it`)
    const t0 = Date.now()
    await lab.stop()
    await sleep(1000)
    await lab.start()
    log(`engine back after ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    const back = await untilAnswering(base, created, 90_000)
    const lies = created.filter((v) => !back.has(v.id))
    if (lies.length)
      problems.push(
        `${lies.length} environments get says CREATED do not answer: ${lies.map((v) => v.id).join(', ')}`,
      )
    let renewed = 0
    for (const v of created) {
      const r = await request(base, 'POST', `/env/renew/${v.id}`, {})
      if (r.body?.status === 1) renewed++
    }
    if (renewed !== back.size) problems.push(`renew accepted ${renewed}, but ${back.size} answer`)
    const undeleted = await deleteAll(
      base,
      before.map((v) => v.id),
    )
    if (undeleted.length) problems.push(`deletes not answered 3: ${undeleted.join(', ')}`)
    const errors = child.errors()
    await child.stop()
    const left = await instanceObjects(engine, instance)
    return {
      load: `${count} live environments on a lab engine`,
      faults: '1 engine restart (dockerd SIGTERM, started 1 s later)',
      leaks: left.containers.length + left.networks + left.volumes,
      losses: lies.length,
      problems,
      notes: `${back.size}/${created.length} answering again, ${renewed} renewed; ${errors.length} error log lines (engine away)`,
    }
  } finally {
    await child?.stop()
    await lab.down()
    dirs.remove()
  }
}

/** The ids among `views` whose published port accepts a connection again within `ms`. */
async function untilAnswering(base: string, views: readonly View[], ms: number): Promise<Set<number>> {
  const deadline = Date.now() + ms
  const answering = new Set<number>()
  while (Date.now() < deadline && answering.size < views.length) {
    for (const v of views) {
      if (answering.has(v.id)) continue
      const now = await request(base, 'GET', `/env/get/${v.id}`)
      if (now.body?.status === 1 && (await accepts(now.body.node_ip, now.body.node_port))) answering.add(v.id)
    }
    if (answering.size < views.length) await sleep(500)
  }
  return answering
}

/** The environment's service answers through its published port (busybox httpd serves /etc). */
async function accepts(host: string, port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://${host}:${port}/hostname`, { signal: AbortSignal.timeout(2000) })
    await res.arrayBuffer()
    return res.status === 200
  } catch {
    return false
  }
}
