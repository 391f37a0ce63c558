/**
 * A workflow process of its own, for R6: `node rss-child.cjs <json load>` runs one load through
 * the built package (dist/, what a user's `node script.js` loads) with the results in the
 * embedded store of LEV_HOME, and prints `RSS <json>`: its peak resident set size (sampled every
 * 10 ms, and the kernel's high-water mark, VmHWM), its RSS before the load, and what the run gave back.
 * Plain JavaScript run by plain node: a TypeScript loader would hold 15-25 MiB of its own.
 * The load's shape is `Load` in rss-load.ts.
 */
const { Cr } = require('../../dist/index.js')

const IMAGE = 'levrt/busybox'

async function flood(bytes) {
  const line = 'levrt R6 flood: a tool that prints much more than anyone reads'
  const task = await new Cr(IMAGE, { cmd: ['sh', '-c', `yes '${line}' | head -c ${bytes}`] }).start()
  // The subscriber reads one chunk, then stops reading for good.
  await new Promise((resolve) => task.stdout.once('data', resolve))
  task.stdout.pause()
  const doc = await task.done()
  return `exit ${doc.exitCode}`
}

async function records(count) {
  const record = '{"n":&,"host":"10.0.0.1","banner":"lorem ipsum dolor sit amet"}'
  const cmd = `seq 1 ${count} | sed 's/.*/${record}/' >> "$LEV_RECORDS"`
  const doc = await new Cr(IMAGE, 'reliability/r6@1.0', { cmd: ['sh', '-c', cmd] })
  const stored = await doc.get()
  return stored && stored.n === count ? `n ${count} stored` : `stored ${JSON.stringify(stored)}`
}

/**
 * The kernel's peak RSS of this process image (VmHWM). Not getrusage's maxRSS: Linux carries that
 * across exec from the parent that forked us (a 225 MiB test runner made every child read 225).
 */
function highWaterMark() {
  const status = require('node:fs').readFileSync('/proc/self/status', 'utf8')
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)
  return kb ? Number(kb[1]) * 1024 : 0
}

async function main() {
  const load = JSON.parse(process.argv[2])
  const before = process.memoryUsage().rss
  let peak = before
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10)
  try {
    const result = load.kind === 'flood' ? await flood(load.bytes) : await records(load.count)
    peak = Math.max(peak, process.memoryUsage().rss, highWaterMark())
    process.stdout.write(`RSS ${JSON.stringify({ peak, before, result })}\n`)
  } finally {
    clearInterval(timer)
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err)
    process.exit(1)
  },
)
