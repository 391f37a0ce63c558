import { createHash, timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import { errorBody } from './errors'

export interface TokenOptions {
  readonly token: string
  /** The one path open without the token (a query aside): `/health`, for load balancers. */
  readonly open: string
}

/**
 * `LEVRT_ENVD_TOKEN`: every request of the context this plugin is registered in needs
 * `Authorization: Bearer <token>`, but one for the `open` path: `/metrics` and unknown paths
 * too, so nothing answers a caller without it but the health check. Its hook joins that context
 * (fastify-plugin). Compared in constant time, over digests so the length does not leak either.
 */
export const requireToken = fp<TokenOptions>(
  async (app, { token, open }) => {
    const expected = digest(token)
    app.addHook('onRequest', async (request, reply) => {
      if (request.url.split('?')[0] === open) return
      const header = request.headers.authorization ?? ''
      const given = /^Bearer\s+(.+)$/i.exec(header)?.[1] ?? ''
      if (given && timingSafeEqual(digest(given), expected)) return
      await reply
        .code(401)
        .header('WWW-Authenticate', 'Bearer')
        .send(
          errorBody(
            header
              ? 'the bearer token is wrong'
              : 'this service needs Authorization: Bearer <token> (LEVRT_ENVD_TOKEN)',
          ),
        )
    })
  },
  { name: 'levrt-envd-token', fastify: '5.x' },
)

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
