import { annot, Cr, remote } from 'levrt'

// Runs in the container: store what it found in this run's document.
const check = remote(async (lev, target: string) => {
  const { lookup } = require('node:dns').promises
  const found = await lookup(target).then(
    (a: { address: string }) => a.address,
    () => null,
  )
  lev.set({ target, address: found, checkedAt: new Date().toISOString() })
})

export const resolve = (target: string) =>
  new Cr('levrt/busybox', 'firstday/resolve@1.0', { entry: check(target), name: `resolve-${target}` })

export const meta = annot.meta({
  exports: [resolve],
  desc: 'resolve a host name inside a container',
  params: [annot.param('target', 'the host name', { holder: 'localhost' })],
})

// `npx tsx first-workflow.ts example.org` runs it too; `levrt run` calls the export.
if (require.main === module)
  resolve(process.argv[2] ?? 'localhost').then(async (doc) => console.log(await doc.get()))
