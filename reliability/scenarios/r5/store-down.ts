import { setTimeout as sleep } from 'node:timers/promises'
import type Dockerode from 'dockerode'
import { MongoClient } from 'mongodb'
import { ENV_COLLECTION } from '../../../src/envd/state/repository'
import { EnvdChild } from '../../lib/envd-child'
import { deleteAll, request, settledList } from '../../lib/envd-client'
import { Ferret } from '../../lib/ferret'
import { envOf, instanceObjects, removeInstance, scratch, type PartResult } from '../../lib/envd-scratch'

const DB = 'levrt_r5'

/**
 * The store (a FerretDB of our own, the MongoDB wire protocol) stopped under `count` live
 * environments: creates answer 503 and make nothing; get and list keep answering from memory; a
 * delete goes on (its state written later); once the store is back, creates succeed again and
 * the store holds what get says of every environment.
 */
export async function storeDown(
  docker: Dockerode,
  count: number,
  log: (line: string) => void,
): Promise<PartResult> {
  const dirs = scratch()
  const instance = `r5s${process.pid}`
  const ferret = await Ferret.start(docker, { 'io.levrt.reliability': 'r5' })
  const problems: string[] = []
  let child: EnvdChild | undefined
  try {
    child = await EnvdChild.start({
      args: [
        ...['--listen', '127.0.0.1:0', '--data', dirs.data, '--instance', instance],
        ...['--ports', '44000-44199', '--max-per-uid', String(count + 5), '--max-total', '150'],
        ...['--reap-every', '600'],
        '--no-node-isolation',
      ],
      env: { LEV_HOME: dirs.home, LEV_MONGO_URL: ferret.url, LEV_MONGO_DB: DB, LEVRT_ENVD_TOKEN: undefined },
    })
    const base = child.url
    const create = (uid: number) =>
      request(base, 'POST', '/env/create', { uid, challenge: 1, compose_file: 'light.yaml' })
    const answers = await Promise.all(Array.from({ length: count }, (_, i) => create(i + 1)))
    const settled = await settledList(base, 120_000)
    const live = settled.filter((v) => v.status === 1)
    if (live.length !== count) {
      // What went wrong, for a replay: the create answers that were not 200, the states that are not CREATED.
      const refusedFirst = answers
        .filter((r) => r.status !== 200)
        .map((r) => `${r.status} ${JSON.stringify(r.body)}`)
      const states = settled.filter((v) => v.status !== 1).map((v) => `${v.id}: ${v.status}`)
      problems.push(
        `${count - live.length} of ${count} not CREATED before the fault ` +
          `(answers: ${refusedFirst.slice(0, 3).join('; ') || 'all 200'}; states: ${states.slice(0, 5).join(', ')})`,
      )
    }

    await ferret.down()
    log('store stopped')
    const t0 = Date.now()
    const refused = await Promise.all(Array.from({ length: count }, (_, i) => create(100 + i)))
    const slowest = Date.now() - t0
    const not503 = refused.filter(
      (r) => r.status !== 503 || r.body?.status !== -1 || typeof r.body?.error !== 'string',
    )
    if (not503.length)
      problems.push(`creates with the store down answered ${not503.map((r) => r.status).join(', ')}`)
    const gets = await Promise.all(live.map((v) => request(base, 'GET', `/env/get/${v.id}`)))
    const wrong = gets.filter((g, i) => g.status !== 200 || g.body?.status !== 1 || g.body?.id !== live[i].id)
    if (wrong.length) problems.push(`${wrong.length} gets wrong with the store down`)
    const list = await request(base, 'GET', '/env/list')
    if (list.status !== 200 || list.body.length !== live.length)
      problems.push(`list with the store down: ${list.status}`)
    const { containers } = await instanceObjects(docker, instance)
    const known = new Set(live.map((v) => v.id))
    const halfMade = containers.filter((c) => !known.has(envOf(c)))
    if (halfMade.length) problems.push(`${halfMade.length} containers of refused creates`)
    const gone = live.length ? live[0].id : undefined
    if (gone !== undefined) {
      const deleted = await request(base, 'GET', `/env/delete/${gone}`)
      if (deleted.body?.status !== 3)
        problems.push(`delete with the store down: ${JSON.stringify(deleted.body)}`)
    }

    await ferret.up()
    const back = Date.now()
    let resumed = await create(500)
    while (resumed.status !== 200 && Date.now() - back < 30_000) {
      await sleep(250)
      resumed = await create(500)
    }
    const resumeMs = Date.now() - back
    if (resumed.status !== 200) problems.push(`creates did not resume: ${JSON.stringify(resumed.body)}`)
    log(`store back; creates resumed after ${resumeMs} ms`)
    const after = await settledList(base, 60_000)
    const losses = await compareStore(ferret.url, instance, after, gone, problems)
    const undeleted = await deleteAll(
      base,
      after.map((v) => v.id),
    )
    if (undeleted.length) problems.push(`deletes not answered 3: ${undeleted.join(', ')}`)
    await child.stop()
    const left = await instanceObjects(docker, instance)
    return {
      load: `${count} live environments, ${count} creates while the store is down`,
      faults: '1 store stop and start',
      leaks: left.containers.length + left.networks + left.volumes,
      losses,
      problems,
      notes: `503s within ${slowest} ms; creates resumed ${resumeMs} ms after the store`,
    }
  } finally {
    await child?.stop()
    await removeInstance(docker, instance)
    await ferret.remove()
    dirs.remove()
  }
}

/** What the store holds against what get says: each mismatch is a loss. */
async function compareStore(
  url: string,
  instance: string,
  views: readonly { id: number; status: number }[],
  deleted: number | undefined,
  problems: string[],
): Promise<number> {
  const client = new MongoClient(url)
  try {
    // The deferred writes go out with the first write after the store is back: give them a moment.
    await sleep(1000)
    const docs = await client.db(DB).collection(`${instance}|${ENV_COLLECTION}`).find({}).toArray()
    const stored = new Map(docs.map((d) => [Number(d.id), Number(d.status)]))
    let losses = 0
    for (const v of views)
      if (stored.get(v.id) !== v.status) {
        losses++
        problems.push(`environment ${v.id}: get says ${v.status}, the store ${stored.get(v.id)}`)
      }
    if (deleted !== undefined && stored.get(deleted) !== 3) {
      losses++
      problems.push(
        `environment ${deleted} deleted while the store was down is ${stored.get(deleted)} in the store`,
      )
    }
    return losses
  } finally {
    await client.close()
  }
}
