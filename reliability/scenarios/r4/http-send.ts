import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FuzzRequest } from './request-arbitraries'

export interface Reply {
  readonly status: number
  readonly text: string
}

/**
 * Sends one request as given. `undefined`: node refused to send it (a header or path it will not
 * write), which is not the service's answer. A connection the service breaks is an error.
 */
export function send(base: string, r: FuzzRequest, timeoutMs = 15_000): Promise<Reply | undefined> {
  const url = new URL(base)
  return new Promise((done, fail) => {
    let req
    try {
      req = httpRequest({
        host: url.hostname,
        port: url.port,
        method: r.method,
        path: r.path,
        // Node frames no body of a GET, HEAD, DELETE or OPTIONS: without a length those bytes would
        // be a second, malformed request on the connection (a broken client, not a request).
        headers:
          r.body === undefined
            ? r.headers
            : { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)) },
        // A connection of its own: a kept-alive one the server closed meanwhile would hang up, not the service.
        agent: false,
        timeout: timeoutMs,
      })
    } catch {
      return done(undefined)
    }
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)))
    req.on('error', fail)
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', fail)
      res.on('end', () => done({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }))
    })
    try {
      req.end(r.body)
    } catch {
      req.destroy()
      done(undefined)
    }
  })
}

export type RawKind = 'slow body' | 'truncated body' | 'truncated head'

/**
 * A request written by hand on a socket: a body trickled over `slowMs`, a body shorter than its
 * Content-Length, or a head cut short (the cut ones then close our side). Resolves with the
 * status line's code, or 0 when the service closed without an answer (for a cut request, fine).
 */
export async function sendRaw(base: string, kind: RawKind, body: string, slowMs: number): Promise<number> {
  const url = new URL(base)
  const socket = connect({ host: url.hostname, port: Number(url.port) })
  let received = ''
  socket.on('data', (c: Buffer) => (received += c.toString('latin1')))
  const closed = new Promise<void>((done) => {
    socket.once('close', () => done())
    socket.once('error', () => done())
  })
  await new Promise<void>((done, fail) => {
    socket.once('connect', done)
    socket.once('error', fail)
  })
  const bytes = Buffer.byteLength(body)
  const head = (length: number) =>
    `POST /env/create HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`
  if (kind === 'truncated head') {
    socket.end(head(bytes).slice(0, Math.max(1, Math.floor(head(bytes).length / 2))))
  } else if (kind === 'truncated body') {
    socket.end(head(bytes + 10) + body)
  } else {
    socket.write(head(bytes))
    const pieces = 8
    const step = Math.ceil(bytes / pieces) || 1
    for (let i = 0; i < bytes; i += step) {
      await sleep(slowMs / pieces)
      socket.write(Buffer.from(body).subarray(i, i + step))
    }
  }
  // A client that sent all waits for the answer; one that cut its request closed its side.
  let waiting = true
  const answered = (async () => {
    while (waiting && !/\r\n\r\n/.test(received)) await sleep(20)
  })()
  await Promise.race([closed, answered, sleep(10_000, undefined, { ref: false })])
  waiting = false
  socket.destroy()
  const status = /^HTTP\/1\.1 (\d{3})/.exec(received)
  return status ? Number(status[1]) : 0
}
