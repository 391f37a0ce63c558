import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fullDisk } from '../lib/full-disk'
import { runObjectsLeft } from '../lib/leaks'
import type { Load } from '../lib/rss-load'
import type { Outcome, Scenario, ScenarioRun } from '../scenario'

/**
 * The workflow process's peak RSS, whole: the aim, held. The process is plain node
 * running the built package (73 MiB before its first run). Measured: 2 GiB of unread output
 * peaks at 127 MiB, 100 000 records at 107 MiB. Before output was demultiplexed without copies
 * and the reader walked bytes, 256 MiB to 2 GiB added 49 to 90 MiB of the collector's slack.
 */
export const RSS_BOUND = 150 * 2 ** 20
const MiB = 2 ** 20

interface Measured {
  readonly peak: number
  readonly before: number
  readonly result: string
}

const BUILT = join(__dirname, '../../dist/index.js')

/** Runs `load` in a workflow process of its own (see rss-child.cjs), with its own LEV_HOME. */
function measureRss(load: Load): Promise<Measured> {
  if (!existsSync(BUILT)) return Promise.reject(new Error(`${BUILT} is missing: run npm run build`))
  const home = mkdtempSync(join(tmpdir(), 'levrt-r6-'))
  const args = [join(__dirname, '../lib/rss-child.cjs'), JSON.stringify(load)]
  const env = { ...process.env, LEV_HOME: home, LEV_MONGO_URL: '', LEVRT_LOG: 'quiet' }
  return new Promise<Measured>((resolve, reject) => {
    execFile(process.execPath, args, { env, maxBuffer: 4 * MiB }, (err, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith('RSS '))
      if (err || !line)
        reject(new Error(`${load.kind}: ${(stderr || String(err)).trim().split('\n').slice(-3).join(' / ')}`))
      else resolve(JSON.parse(line.slice('RSS '.length)) as Measured)
    })
  }).finally(() => rmSync(home, { recursive: true, force: true }))
}

const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`

export const r6Resources: Scenario = {
  id: 'R6',
  title: 'resources: a flood of output, many records, a full disk',
  async run(how: ScenarioRun): Promise<Outcome> {
    const full = how.scale === 'full'
    const flood = full ? 2 * 1024 * MiB : 256 * MiB
    const count = full ? 100_000 : 20_000
    const problems: string[] = []
    const notes: string[] = []
    const loads: [string, Load, string][] = [
      [`${mib(flood)} on stdout, unread`, { kind: 'flood', bytes: flood }, 'exit 0'],
      [`${count} records`, { kind: 'records', count }, `n ${count} stored`],
    ]
    for (const [name, load, expected] of loads) {
      const begun = Date.now()
      try {
        const m = await measureRss(load)
        how.log(
          `${name}: peak RSS ${mib(m.peak)} (${mib(m.before)} before), ${m.result}, ${Date.now() - begun} ms`,
        )
        notes.push(`${name}: peak RSS ${mib(m.peak)} (${mib(m.before)} at start)`)
        if (m.peak > RSS_BOUND) problems.push(`${name}: peak RSS ${mib(m.peak)}, over ${mib(RSS_BOUND)}`)
        if (m.result !== expected) problems.push(`${name}: ${m.result}, not ${expected}`)
      } catch (err) {
        problems.push(String(err))
      }
    }
    const disk = await fullDisk(how.log)
    problems.push(...disk.problems)
    notes.push(disk.note)
    return {
      load: `${mib(flood)} of stdout with a reader that stops, ${count} records in one run, LEV_HOME on a 16 MiB tmpfs`,
      faults: 'a reader that stops reading; a full disk',
      leaks: await runObjectsLeft(),
      losses: disk.losses,
      problems,
      notes: `${notes.join('; ')} (bound: peak RSS ${mib(RSS_BOUND)})`,
    }
  },
}
