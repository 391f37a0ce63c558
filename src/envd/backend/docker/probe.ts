import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** One TCP connect: true once the peer accepts, false if it refuses or does not answer within `ms`. */
export function tcpAccepts(host: string, port: number, ms = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    const done = (ok: boolean) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(ok)
    }
    const timer = setTimeout(() => done(false), ms)
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/**
 * Whether a relay (a forwarder that accepts at once and then connects on) reached its target:
 * the connection is accepted and not closed by the peer within `holdMs` (or data came back).
 */
export function relayHolds(host: string, port: number, holdMs = 400, ms = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    let timer = setTimeout(() => done(false), ms)
    const done = (ok: boolean) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(ok)
    }
    socket.once('connect', () => {
      clearTimeout(timer)
      timer = setTimeout(() => done(true), holdMs)
    })
    socket.once('data', () => done(true))
    socket.once('end', () => done(false))
    socket.once('close', () => done(false))
    socket.once('error', () => done(false))
  })
}

/**
 * Polls until `host:port` accepts a TCP connection. Every `checkEvery` ms `failed()` may say
 * why waiting is pointless (a container exited): that, the deadline or the signal ends it with
 * an error; the deadline's says what did not open.
 */
export async function waitForTcp(
  host: string,
  port: number,
  options: {
    deadline: number
    signal: AbortSignal
    failed: () => Promise<string | undefined>
    checkEvery?: number
  },
): Promise<void> {
  const checkEvery = options.checkEvery ?? 500
  let nextCheck = Date.now() + checkEvery
  for (let delay = 10; ; delay = Math.min(delay * 2, 100)) {
    options.signal.throwIfAborted()
    if (await tcpAccepts(host, port, 500)) return
    if (Date.now() >= nextCheck) {
      const why = await options.failed()
      if (why) throw new Error(why)
      nextCheck = Date.now() + checkEvery
    }
    if (Date.now() >= options.deadline) throw new Error(`port ${port}/tcp did not accept connections in time`)
    await sleep(delay, undefined, { signal: options.signal })
  }
}

/** What one look at a condition says: met, failed (why), or not yet. */
export type Look = { readonly met: true } | { readonly failed: string } | undefined

/**
 * Polls `look` (every `every` ms) until the condition is met; rejects with why it failed, or,
 * at the deadline, with `what` not having happened in time.
 */
export async function pollUntil(
  look: () => Promise<Look>,
  what: string,
  options: { deadline: number; signal: AbortSignal; every?: number },
): Promise<void> {
  for (;;) {
    options.signal.throwIfAborted()
    const seen = await look()
    if (seen && 'met' in seen) return
    if (seen) throw new Error(seen.failed)
    if (Date.now() >= options.deadline) throw new Error(`${what} did not happen in time`)
    await sleep(options.every ?? 250, undefined, { signal: options.signal })
  }
}
