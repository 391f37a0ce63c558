import { annot, Concurrent, Cr, remote } from 'levrt'

// A step: does the host linked as `target` accept TCP connections on `port`?
const knock = remote(async (lev, name: string, port: number) => {
  const net = require('node:net') as typeof import('node:net')
  const open = await new Promise<boolean>((done) => {
    const socket = net.connect({ host: 'target', port, timeout: 2000 })
    const end = (answer: boolean) => (socket.destroy(), done(answer))
    socket
      .on('connect', () => end(true))
      .on('error', () => end(false))
      .on('timeout', () => end(false))
  })
  lev.set({ target: name, port, open })
})
const probe = (host: string, name: string, port: number) =>
  new Cr('levrt/busybox', 'lab/port@1.0', {
    entry: knock(name, port),
    links: { target: host }, // that running target joins this step's network as `target`
    name: `${name}-${port}`,
  })

export async function lab() {
  // The lab: started in the background, its ports open, running until signalled.
  const web = await new Cr('levkit/nginx:1.0', { ports: [80], name: 'web' }).start()
  const cache = await new Cr('levkit/redis:1.0', { ports: [6379], name: 'cache' }).start()
  try {
    // Later steps link to it, at most 3 at a time; the result is what the function returns.
    return await Concurrent.run({ limit: 3 }, (c) =>
      Promise.all([
        c.start(probe(web.host, 'web', 80)),
        c.start(probe(web.host, 'web', 6379)),
        c.start(probe(cache.host, 'cache', 6379)),
      ]),
    )
  } finally {
    // Stop the lab: each target ends, and everything it made is removed.
    await Promise.all([web, cache].map(async (t) => (await t.signal('SIGTERM'), await t.done())))
  }
}

export const meta = annot.meta({ exports: [lab], desc: 'probe ports of a lab shared by several steps' })
