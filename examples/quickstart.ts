/**
 * Quickstart: the seed's example. An entry runs inside a container, stores its findings with
 * lev.set, and the host reads them back; the same run inside a namespace goes to its own
 * collection. `npm run demo` builds the images and runs this on the embedded store (no database
 * needed); set LEV_MONGO_URL to store in MongoDB instead.
 */
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { Cr, lev, remote } from 'levrt'

// Runs in the container with the image's node: only its arguments come from the host.
const entry = remote(async (lev, target: string) => {
  console.log(`scanning ${target} from ${require('os').hostname()}`)
  console.error('a tool may print anything: it does not disturb the results')
  lev.set({ target, issues: ['Some issues'] })
})

const scan = (target: string) => new Cr('levrt/node:20', 'ts/issues@1.0', { entry: entry(target) })

function prefixLines(stream: Readable, prefix: string): void {
  createInterface({ input: stream }).on('line', (line) => console.log(`${prefix} ${line}`))
}

async function main(): Promise<void> {
  const task = await scan('example.com').start()
  console.log(`started container ${task.id.slice(0, 12)} (${task.host})`)
  prefixLines(task.stdout, '  stdout |')
  prefixLines(task.stderr, '  stderr |')

  const doc = await task
  console.log(
    `\nended with exit code ${doc.exitCode} after ${doc.run.endedAt.getTime() - doc.run.startedAt.getTime()} ms`,
  )
  console.log(`stored in collection ${doc.coll.collectionName}, document ${JSON.stringify(doc.filters)}`)
  console.log('doc.get() →', await doc.get())

  const inNs = await lev.ns('httpbin', 'org').run(() => scan('httpbin.org'))
  console.log(`\nin lev.ns('httpbin', 'org'): ${inNs.coll.collectionName} →`, await inNs.get())

  // Any program can store results too: one JSON object per line, appended to $LEV_RECORDS.
  const shell = await new Cr('levrt/busybox', 'sh/ports@1.0', {
    cmd: ['sh', '-c', `printf '{"host":"%s","open":[22,80]}\\n' "$(hostname)" >> "$LEV_RECORDS"; exit 3`],
  })
  console.log(`\na shell tool (exit code ${shell.exitCode}) stored →`, await shell.get())
  console.log('bookkeeping kept beside it →', (await shell.get({}, { _lev: 1 }))?._lev)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
