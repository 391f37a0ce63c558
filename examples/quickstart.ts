/**
 * Quickstart: run one container, follow its output, and read back what was stored.
 * `npm run demo` builds the images and runs this on the embedded store (no database needed);
 * set LEV_MONGO_URL to store in MongoDB instead.
 */
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { Cr } from 'levrt'

function prefixLines(stream: Readable, prefix: string): void {
  createInterface({ input: stream }).on('line', (line) => console.log(`${prefix} ${line}`))
}

async function main(): Promise<void> {
  const hello = new Cr('levrt/busybox', 'demo/hello@1.0', {
    env: { TARGET: 'example.com' },
    cmd: ['sh', '-c', 'echo "scanning $TARGET from $(hostname)"; echo "no route to $TARGET" >&2; exit 3'],
  })

  const task = await hello.start()
  console.log(`started container ${task.id.slice(0, 12)} (${task.host})`)
  prefixLines(task.stdout, '  stdout |')
  prefixLines(task.stderr, '  stderr |')

  const doc = await task
  console.log(`\nended with exit code ${doc.exitCode} after ${doc.run.endedAt.getTime() - doc.run.startedAt.getTime()} ms`)
  console.log(`stored in collection ${doc.coll.collectionName}, document ${JSON.stringify(doc.filters)}`)
  console.log('doc.get() →', await doc.get())
  console.log('bookkeeping →', (await doc.get({}, { _lev: 1 }))?._lev)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
