import { createHash, timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import { errorBody } from './errors'

export interface TokenOptions {
  readonly token: string
}

/**
 * `LEVRT_ENVD_TOKEN`: every request of the context this plugin is registered in needs
 * `Authorization: Bearer <token>`. Its hook joins that context (fastify-plugin), which the
 * caller encapsulates: `/health`, outside it, stays open. Compared in constant time, over
 * digests so the length does not leak either.
 */
export const requireToken = fp<TokenOptions>(
  async (app, { token }) => {
    const expected = digest(token)
    app.addHook('onRequest', async (request, reply) => {
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
