import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { errorBody } from './errors'

/** Paths open without the token: an operator's (or a load balancer's) liveness check. */
const OPEN = new Set(['/health'])

/**
 * `LEVRT_ENVD_TOKEN`: every request needs `Authorization: Bearer <token>`. Compared in constant
 * time (over digests, so the length does not leak either).
 */
export function requireToken(app: FastifyInstance, token: string): void {
  const expected = digest(token)
  app.addHook('onRequest', async (request, reply) => {
    if (OPEN.has(request.url)) return
    const header = request.headers.authorization ?? ''
    const given = /^Bearer\s+(.+)$/i.exec(header)?.[1] ?? ''
    if (given && timingSafeEqual(digest(given), expected)) return
    await reply
      .code(401)
      .header('WWW-Authenticate', 'Bearer')
      .send(errorBody(header ? 'the bearer token is wrong' : 'this service needs Authorization: Bearer <token> (LEVRT_ENVD_TOKEN)'))
  })
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
