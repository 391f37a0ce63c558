/**
 * A workflow process of its own, for R6: `rss-child.ts <json load>` runs one load through the SDK
 * (results in the embedded store of LEV_HOME) and prints `RSS <json>`: its peak resident set
 * size (sampled every 10 ms, and the kernel's high-water mark), its RSS before the load, and
 * what the run gave back. Started by `measureRss` with `node -r tsx/cjs`, a lighter loader than
 * ts-node, so the figure is close to what a user's script costs.
 */
import { Cr } from '../../src/index'

export type Load =
  { readonly kind: 'flood'; readonly bytes: number } | { readonly kind: 'records'; readonly count: number }

const IMAGE = 'levrt/busybox'

async function flood(bytes: number): Promise<string> {
  const line = 'levrt R6 flood: a tool that prints much more than anyone reads'
  const task = await new Cr(IMAGE, { cmd: ['sh', '-c', `yes '${line}' | head -c ${bytes}`] }).start()
  // The subscriber reads one chunk, then stops reading for good.
  await new Promise((resolve) => task.stdout.once('data', resolve))
  task.stdout.pause()
  const doc = await task.done()
  return `exit ${doc.exitCode}`
}

async function records(count: number): Promise<string> {
  const record = '{"n":&,"host":"10.0.0.1","banner":"lorem ipsum dolor sit amet"}'
  const cmd = `seq 1 ${count} | sed 's/.*/${record}/' >> "$LEV_RECORDS"`
  const doc = await new Cr(IMAGE, 'reliability/r6@1.0', { cmd: ['sh', '-c', cmd] })
  const stored = await doc.get()
  return stored?.n === count ? `n ${count} stored` : `stored ${JSON.stringify(stored)}`
}

async function main(): Promise<void> {
  const load = JSON.parse(process.argv[2]) as Load
  const before = process.memoryUsage().rss
  let peak = before
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10)
  try {
    const result = load.kind === 'flood' ? await flood(load.bytes) : await records(load.count)
    peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024)
    process.stdout.write(`RSS ${JSON.stringify({ peak, before, result })}\n`)
  } finally {
    clearInterval(timer)
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err)
    process.exit(1)
  },
)
