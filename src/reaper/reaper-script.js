'use strict'
/*
 * The session reaper, run by levrt's own node in a container of its own (see src/reaper).
 * Plain JS for any node >= 12, no dependencies: it only speaks the engine's HTTP API over the
 * socket mounted at LEVRT_REAPER_SOCKET.
 *
 * Its stdin is the workflow process's connection to the engine (an attach with StdinOnce): the
 * engine ends it when that connection goes, which is when the process dies however it dies
 * (SIGKILL, a crash, a second Ctrl-C) or exits. Then every object carrying all the labels in
 * LEVRT_REAPER_LABELS (that process's owner labels) is removed: containers first, then networks
 * (other containers linked in are disconnected first), then volumes; a second pass a second
 * later catches a create the engine finished after the first. The container is auto-removed
 * when this exits.
 */
const http = require('http')

const SOCKET = process.env.LEVRT_REAPER_SOCKET
const LABELS = JSON.parse(process.env.LEVRT_REAPER_LABELS || '[]')

function call(method, path, body) {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = http.request(
      {
        socketPath: SOCKET,
        method,
        path,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c) => (text += c))
        res.on('end', () => {
          let json
          try {
            json = text ? JSON.parse(text) : undefined
          } catch (e) {
            json = undefined
          }
          resolve({ status: res.statusCode, json })
        })
      },
    )
    // A failed call is reported and skipped: one object that will not go must not keep the rest.
    req.on('error', (err) => {
      process.stderr.write(method + ' ' + path + ': ' + err.message + '\n')
      resolve({ status: 0, json: undefined })
    })
    req.end(payload)
  })
}

const filters = encodeURIComponent(JSON.stringify({ label: LABELS }))

async function reap() {
  const containers = (await call('GET', '/containers/json?all=1&filters=' + filters)).json || []
  await Promise.all(containers.map((c) => call('DELETE', '/containers/' + c.Id + '?force=1&v=1')))
  const networks = (await call('GET', '/networks?filters=' + filters)).json || []
  await Promise.all(
    networks.map(async (n) => {
      const info = (await call('GET', '/networks/' + n.Id)).json || {}
      await Promise.all(
        Object.keys(info.Containers || {}).map((id) =>
          call('POST', '/networks/' + n.Id + '/disconnect', { Container: id, Force: true }),
        ),
      )
      await call('DELETE', '/networks/' + n.Id)
    }),
  )
  const volumes = ((await call('GET', '/volumes?filters=' + filters)).json || {}).Volumes || []
  await Promise.all(volumes.map((v) => call('DELETE', '/volumes/' + encodeURIComponent(v.Name))))
  return containers.length + networks.length + volumes.length
}

let reaping = false
function onGone() {
  if (reaping) return
  reaping = true
  reap()
    .then((n) => {
      if (n) process.stdout.write('removed ' + n + ' objects\n')
      return new Promise((r) => setTimeout(r, 1000))
    })
    .then(reap)
    .then(() => process.exit(0))
}

process.stdin.on('data', () => undefined)
process.stdin.on('end', onGone)
process.stdin.on('error', onGone)
process.stdin.on('close', onGone)
process.stdout.write('ready\n')
