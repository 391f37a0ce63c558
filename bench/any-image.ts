import type Dockerode from 'dockerode'
import { Cr, remote } from '../src/index'
import { contender, interleaved, printTable, rowMedian, verdict } from './lib/measure'
import { assertImages } from './lib/owned'

const WITH_NODE = 'levrt/node:20'
const WITHOUT_NODE = 'levrt/busybox'
export const P8_TARGET = 1.2

const entry = remote(async (lev, target: string) => {
  lev.set({ target, node: process.version })
})

/**
 * P8: the same entry, whole runs (`await new Cr(...)`), in an image without node (levrt brings
 * its own from the runtime volume) against the node image (its own node). Both warmed up first,
 * so the once-per-engine volume fill and once-per-image node probe are outside the rounds.
 */
export async function anyImageBench(docker: Dockerode, rounds: number): Promise<{ ratio: number }> {
  await assertImages(docker, [WITH_NODE, WITHOUT_NODE], 'run: npm run images')
  const run = (image: string) => async () => void (await new Cr(image, { entry: entry('x') }))
  await run(WITH_NODE)()
  await run(WITHOUT_NODE)()
  const contenders = [
    contender({ name: `entry in ${WITH_NODE} (its own node; baseline)`, run: run(WITH_NODE) }),
    contender({
      name: `entry in ${WITHOUT_NODE} (no node: levrt's, from the runtime volume)`,
      run: run(WITHOUT_NODE),
    }),
  ]
  const rows = await interleaved(contenders, rounds)
  printTable(
    `P8 — an entry in an image without node vs the node image, whole runs, ${rounds} rounds interleaved (target ≤ ${P8_TARGET}×)`,
    rows,
    contenders[0].name,
  )
  const ratio = rowMedian(rows, contenders[1].name) / rowMedian(rows, contenders[0].name)
  console.log(
    `\nP8 ratio: ${ratio.toFixed(2)}× (target ≤ ${P8_TARGET}×) ${verdict(ratio, (r) => r <= P8_TARGET)}`,
  )
  return { ratio }
}
