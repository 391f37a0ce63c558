/**
 * A concurrent scan of many targets, like the seed's `Concurrent(limit=5)`: four web servers run
 * in the background, and nmap scans each of them, at most two scans at a time. Each scan reaches
 * its target through `links` (the target joins the scan's network under the alias `target`).
 *
 *   LEVRT_LOG=pretty npx ts-node examples/concurrent-scan.ts
 */
import { Concurrent, Cr, type Document } from 'levrt'
import { nmap } from './nmap'

async function main(): Promise<void> {
  const targets = await Promise.all(
    [1, 2, 3, 4].map(() => new Cr('levkit/nginx:1.0', { ports: [80] }).start()),
  )
  try {
    const docs = await Concurrent.run({ limit: 2 }, async (c) => {
      const scans = targets.map(
        (t) =>
          c.start(
            nmap('target', ['-Pn', '-sT', '-p', '22,80,443,6379'], { links: { target: t.host } }),
          ) as Promise<Document>,
      )
      return Promise.all(scans)
    })
    for (const [i, doc] of docs.entries()) console.log(`target ${i + 1} →`, (await doc.get())?.open)
  } finally {
    // Background tasks run until stopped: stop them, and their containers are removed.
    await Promise.all(targets.map(async (t) => (await t.signal('SIGTERM'), await t.done())))
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
