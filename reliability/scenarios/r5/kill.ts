import type Dockerode from 'dockerode'
import { setTimeout as sleep } from 'node:timers/promises'
import { ENV_COLLECTION } from '../../../src/envd/state/repository'
import { EmbeddedStore } from '../../../src/store/embedded'
import { EnvdChild } from '../../lib/envd-child'
import { deleteAll, request, settledList, type View } from '../../lib/envd-client'
import type { Random } from '../../lib/random'
import { envOf, instanceObjects, removeInstance, scratch, type PartResult } from '../../lib/envd-scratch'

/**
 * envd killed with SIGKILL while `count` creates are in flight, then started again: every
 * environment a create acknowledged is CREATED or ERROR (with a reason in the store), nothing
 * runs that the service does not know as CREATED, no port is given twice, no id is reused. Then
 * every environment is deleted at once (several per uid): nothing may be logged at error level
 * and nothing may be left on the engine.
 */
export async function killDuringCreates(
  docker: Dockerode,
  count: number,
  random: Random,
  log: (line: string) => void,
): Promise<PartResult> {
  const dirs = scratch()
  const instance = `r5k${process.pid}`
  const first = 41000 + random.int(0, 30) * 100
  const args = [
    ...['--listen', '127.0.0.1:0', '--data', dirs.data, '--instance', instance],
    ...['--ports', `${first}-${first + 2 * count + 49}`, '--max-per-uid', String(count)],
    ...['--max-total', String(count + 20), '--reap-every', '600', '--no-node-isolation'],
  ]
  const env = { LEV_HOME: dirs.home, LEV_MONGO_URL: undefined, LEVRT_ENVD_TOKEN: undefined }
  const problems: string[] = []
  let losses = 0
  let child = await EnvdChild.start({ args, env })
  try {
    const uids = Math.max(2, Math.ceil(count / 8))
    // The moment: once the k-th create is acknowledged (some stored, some not yet, deploys in
    // flight), plus a delay; both drawn from the seed.
    const k = random.int(1, Math.max(1, Math.floor(count / 2)))
    const delay = random.int(0, 400)
    let acks = 0
    let reached: () => void = () => undefined
    const kth = new Promise<void>((done) => (reached = done))
    const creates = Array.from({ length: count }, (_, i) =>
      request(child.url, 'POST', '/env/create', {
        uid: random.int(1, uids),
        challenge: i + 1,
        compose_file: 'light.yaml',
      }).then((answer) => {
        if (answer.status === 200 && ++acks === k) reached()
        return answer
      }),
    )
    const begun = Date.now()
    await Promise.race([kth, Promise.all(creates), sleep(60_000)])
    await sleep(delay)
    const killAfter = Date.now() - begun
    await child.kill()
    const answers = await Promise.all(creates)
    const acknowledged = answers
      .filter((a) => a.status === 200 && a.body?.status === 0)
      .map((a) => a.body.id as number)
    log(
      `SIGKILL ${killAfter} ms in (${delay} ms after create ${k} was acknowledged): ${acknowledged.length} of ${count} acknowledged`,
    )

    child = await EnvdChild.start({ args, env })
    const views = await settledList(child.url, 180_000)
    const byId = new Map(views.map((v) => [v.id, v]))
    for (const id of acknowledged) {
      const v = byId.get(id)
      if (!v || (v.status !== 1 && v.status !== 2)) {
        losses++
        problems.push(`environment ${id} acknowledged, then ${v ? `status ${v.status}` : 'unknown'}`)
      }
    }
    if (new Set(acknowledged).size !== acknowledged.length) problems.push('an id was acknowledged twice')
    checkPorts(views, problems)
    await checkEngine(docker, instance, views, problems)
    const later = await request(child.url, 'POST', '/env/create', {
      uid: 1,
      challenge: 9999,
      compose_file: 'light.yaml',
    })
    const highest = Math.max(0, ...acknowledged, ...views.map((v) => v.id))
    if (!(later.body?.id > highest))
      problems.push(`a create after the restart got id ${later.body?.id} (highest before: ${highest})`)
    const live = (await settledList(child.url, 60_000)).map((v) => v.id)
    const created = views.filter((v) => v.status === 1).length
    const errors = views.filter((v) => v.status === 2).length

    const mark = child.logLines
    const undeleted = await deleteAll(child.url, live)
    if (undeleted.length) problems.push(`deletes not answered 3: ${undeleted.join(', ')}`)
    const logged = child.errors(mark)
    if (logged.length)
      problems.push(`${logged.length} error lines during deletes, e.g. ${logged[0].slice(0, 300)}`)
    await child.stop()
    await checkReasons(dirs.home, instance, problems)
    const left = await instanceObjects(docker, instance)
    const leaks = left.containers.length + left.networks + left.volumes
    return {
      load: `${count} concurrent creates, SIGKILL, restart; then ${live.length} deleted at once (${uids} uids)`,
      faults: `1 SIGKILL of envd (${killAfter} ms into the creates)`,
      leaks,
      losses,
      problems,
      notes: `${acknowledged.length} acknowledged; after restart ${created} CREATED, ${errors} ERROR`,
    }
  } finally {
    await child.stop()
    await removeInstance(docker, instance)
    dirs.remove()
  }
}

function checkPorts(views: readonly View[], problems: string[]): void {
  const ports = views.filter((v) => v.status === 1).map((v) => v.node_port)
  const twice = ports.filter((p, i) => ports.indexOf(p) !== i)
  if (twice.length) problems.push(`ports given twice: ${[...new Set(twice)].join(', ')}`)
}

/** Every container belongs to a CREATED environment, and every CREATED one runs. */
async function checkEngine(
  docker: Dockerode,
  instance: string,
  views: readonly View[],
  problems: string[],
): Promise<void> {
  const { containers } = await instanceObjects(docker, instance)
  const created = new Set(views.filter((v) => v.status === 1).map((v) => v.id))
  const orphans = containers.filter((c) => !created.has(envOf(c)))
  if (orphans.length)
    problems.push(`${orphans.length} containers of no CREATED environment: ${orphans.map(envOf).join(', ')}`)
  const running = new Set(containers.filter((c) => c.State === 'running').map(envOf))
  const idle = [...created].filter((id) => !running.has(id))
  if (idle.length) problems.push(`CREATED but not running: ${idle.join(', ')}`)
}

/** Every ERROR has its reason in the store (for the operator; the API does not show it). */
async function checkReasons(home: string, instance: string, problems: string[]): Promise<void> {
  const store = new EmbeddedStore(home)
  const docs = await store.collection(`${instance}|${ENV_COLLECTION}`).find({ status: 2 }).toArray()
  store.close()
  const bare = docs.filter((d) => typeof d.reason !== 'string' || !d.reason)
  if (bare.length) problems.push(`ERROR without a reason: ${bare.map((d) => String(d.id)).join(', ')}`)
}
