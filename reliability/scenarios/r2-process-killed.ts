import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LABEL } from '../../src/docker/labels'
import { DockerEngine } from '../../src/engine/docker-engine'
import { gc } from '../../src/engine/gc'
import { EmbeddedStore } from '../../src/store/embedded'
import { COLLECTION } from '../fixtures/r2-workflow'
import { LabEngine, sleep } from '../lib/lab-engine'
import { Random } from '../lib/random'
import type { Outcome, Scenario } from '../scenario'

const ROOT = join(__dirname, '..', '..')
const CLI = join(ROOT, 'src', 'cli', 'levrt.ts')
const WORKFLOW = join(ROOT, 'reliability', 'fixtures', 'r2-workflow.ts')
/** How long the session reaper gets to clean up after its process died, before `levrt gc` is used. */
const REAPER_MS = 20_000

/**
 * R2: the workflow (fixtures/r2-workflow.ts, 50 runs; short: 10) in a child process, `levrt run
 * --resume`, killed with SIGKILL at moments from the seed, 20 times (short: 3), then run to its
 * end. After each kill nothing may be left on the engine (the session reaper, else `levrt gc`);
 * in the end each step is stored exactly once, and the runs started are counted from the
 * engine's events (a step killed before it was stored is the only one run again).
 */
export const r2: Scenario = {
  id: 'R2',
  title: 'the workflow process killed',
  async run({ seed, scale, log }): Promise<Outcome> {
    const random = new Random(seed)
    const runs = scale === 'full' ? 50 : 10
    const kills = scale === 'full' ? 20 : 3
    const lab = await LabEngine.up(['levrt/busybox:latest'])
    const home = mkdtempSync(join(tmpdir(), 'levrt-r2-'))
    const env = {
      ...process.env,
      DOCKER_HOST: `unix://${lab.socket}`,
      LEV_HOME: home,
      LEV_MONGO_URL: '',
      LEVRT_LOG: 'quiet',
      R2_RUNS: String(runs),
    }
    const problems: string[] = []
    const starts = await countStarts(lab)
    let leaks = 0
    let byReaper = 0
    let byGc = 0
    let killed = 0
    try {
      const engine = DockerEngine.connect({ socketPath: lab.socket })
      for (let k = 0; k < kills; k++) {
        const child = workflow(env)
        child.stderr?.resume()
        const killAt = random.int(2000, scale === 'full' ? 14_000 : 6_000)
        const ended = await Promise.race([
          once(child, 'exit').then(() => true),
          sleep(killAt).then(() => false),
        ])
        if (!ended) {
          child.kill('SIGKILL')
          await once(child, 'exit')
          killed++
        }
        if (await lab.cleanWithin(REAPER_MS)) byReaper++
        else {
          const { removed } = await gc(engine)
          byGc++
          const left = await lab.leftovers()
          leaks += left.objects.length
          if (left.objects.length)
            problems.push(`kill ${k + 1}: left after levrt gc: ${left.objects.join(', ')}`)
          log(`kill ${k + 1}: the reaper left ${removed.length} objects, levrt gc removed them`)
        }
        log(`kill ${k + 1} at ${killAt} ms: ${ended ? 'the workflow had finished' : 'killed'}`)
      }
      const last = workflow(env)
      let said = ''
      last.stderr?.on('data', (chunk: Buffer) => (said = (said + chunk.toString()).slice(-2000)))
      const [code] = (await once(last, 'exit')) as [number | null]
      if (code !== 0) problems.push(`the last --resume exited ${code}: ${said}`)
      const store = new EmbeddedStore(home)
      const docs = await store.collection(COLLECTION).find({}).toArray()
      const perStep = new Map<number, number>()
      for (const doc of docs) perStep.set(Number(doc.i), (perStep.get(Number(doc.i)) ?? 0) + 1)
      const twice = [...perStep].filter(([, n]) => n > 1).map(([i]) => i)
      const losses = runs - perStep.size
      if (twice.length) problems.push(`steps stored more than once: ${twice.join(', ')}`)
      if (losses) problems.push(`${losses} steps missing after the last --resume`)
      const started = starts.stop()
      if (!(await lab.cleanWithin(REAPER_MS))) leaks += (await lab.leftovers()).objects.length
      return {
        load: `${runs}-run workflow at limit 5`,
        faults: `${killed} SIGKILLs of the workflow process`,
        leaks,
        losses,
        problems,
        notes:
          `${started} runs started for ${runs} steps (${started - runs} killed before stored, redone); ` +
          `cleaned by the reaper ${byReaper}×, by levrt gc ${byGc}×`,
      }
    } finally {
      rmSync(home, { recursive: true, force: true })
      await lab.down()
    }
  },
}

function workflow(env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['-r', 'tsx/cjs', CLI, 'run', WORKFLOW, '--resume'], {
    cwd: ROOT,
    env,
    // Its stderr is a line per step it runs again: kept only for the last, finishing run.
    stdio: ['ignore', 'ignore', 'pipe'],
  })
}

/**
 * Counts the runs' main containers the engine starts from now on: what was executed. A live
 * stream: the engine keeps only its last 256 events, fewer than a full run makes.
 */
async function countStarts(lab: LabEngine): Promise<{ stop(): number }> {
  const stream = (await lab.docker.getEvents({
    filters: { type: ['container'], event: ['start'], label: [`${LABEL.role}=main`] },
  })) as NodeJS.ReadableStream & { destroy(): void }
  let count = 0
  stream.on(
    'data',
    (chunk: Buffer) =>
      (count += chunk
        .toString()
        .split('\n')
        .filter((l) => l.trim()).length),
  )
  stream.on('error', () => undefined)
  return {
    stop: () => {
      stream.destroy()
      return count
    },
  }
}
