/**
 * Contexts: two engines or two stores side by side in one program. Here both use this machine's
 * engine, with results in two separate embedded stores; `docker` (dockerode's connection options,
 * e.g. `{ socketPath: '/run/lab/docker.sock' }`) and `mongoUrl` pick another engine or MongoDB.
 *
 *   npx ts-node examples/contexts.ts
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Cr, createContext, withContext } from 'levrt'

const hello = () => new Cr('levrt/busybox', 'demo/context@1.0', { cmd: ['true'] })

export async function main(): Promise<number[]> {
  const homes = [mkdtempSync(join(tmpdir(), 'lab-')), mkdtempSync(join(tmpdir(), 'archive-'))]
  try {
    const lab = createContext({ home: homes[0], log: 'quiet' })
    const archive = createContext({ home: homes[1], log: 'plain' }) // or { mongoUrl, mongoDb }
    const [a, b] = await Promise.all([
      withContext(lab, () => hello()), // stored in the lab's home
      withContext(archive, () => hello()), // stored in the archive's home, with a live log
    ])
    await withContext(archive, () => hello()) // a second run in the archive
    const counts = await Promise.all([a, b].map((doc) => doc.coll.countDocuments()))
    console.log(counts) // [ 1, 2 ]: nothing is shared between the two
    return counts
  } finally {
    for (const home of homes) rmSync(home, { recursive: true, force: true })
  }
}

if (require.main === module)
  main().catch((err) => {
    console.error(err)
    process.exit(1)
  })
