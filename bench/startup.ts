import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type Dockerode from 'dockerode'
import { GenericContainer } from 'testcontainers'
import { Cr } from '../src/index'
import { interleaved, median, printTable, type Contender } from './lib/measure'

const run = promisify(execFile)
const IMAGE = 'levrt/busybox'

/** P1: `await new Cr(...)` of a container that exits at once, against the raw dockerode floor. */
export async function startupBench(docker: Dockerode, rounds: number): Promise<{ ratio: number }> {
  const contenders: Contender[] = [
    {
      name: 'dockerode create+start+wait+remove (floor)',
      async run() {
        const c = await docker.createContainer({ Image: IMAGE, Cmd: ['true'] })
        await c.start()
        await c.wait()
        await c.remove({ force: true })
      },
    },
    { name: 'levrt await new Cr(...)', run: () => new Cr(IMAGE, { cmd: ['true'] }).done() },
    { name: 'docker run --rm (CLI)', run: () => run('docker', ['run', '--rm', IMAGE, 'true']) },
    {
      name: 'testcontainers GenericContainer start+stop',
      async run() {
        const c = await new GenericContainer(IMAGE).withCommand(['true']).start()
        await c.stop()
      },
    },
  ]
  const rows = await interleaved(contenders, rounds)
  printTable(
    `P1 — one container that exits at once, ${rounds} rounds interleaved (target: levrt ≤ 1.10× floor)`,
    rows,
    contenders[0].name,
  )
  return { ratio: median(rows[1].samples) / median(rows[0].samples) }
}
