import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { EnvdError } from '../errors'
import { parseIso } from '../time'
import {
  CreateBody,
  CreateReply,
  DeleteReply,
  ErrorReply,
  HealthReply,
  IdParams,
  ListReply,
  NotHealthyReply,
  RenewBody,
  RenewReply,
  EnvView,
} from './schemas'

const errors = {
  400: ErrorReply,
  401: ErrorReply,
  404: ErrorReply,
  409: ErrorReply,
  422: ErrorReply,
  429: ErrorReply,
  503: ErrorReply,
}

/** The seed's five calls, registered under the `/env` prefix (behind the token, when there is one). */
export const envRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { environments } = app
  app.post(
    '/create',
    { schema: { body: CreateBody, response: { 200: CreateReply, ...errors } } },
    async (request) => {
      const body = request.body
      const { id } = await environments.create({
        uid: integer(body.uid, 'uid'),
        challenge: integer(body.challenge, 'challenge'),
        composeFile: body.compose_file,
        // The seed's flag is optional: empty means none.
        flag: body.flag ? body.flag : null,
        expire: expireOf(body.expire),
      })
      return { status: 0 as const, id }
    },
  )

  app.get(
    '/get/:env_id',
    { schema: { params: IdParams, response: { 200: EnvView, ...errors } } },
    async (request) => environments.get(Number(request.params.env_id)),
  )

  app.post(
    '/renew/:env_id',
    {
      schema: {
        params: IdParams,
        body: RenewBody,
        response: { 200: RenewReply, ...errors, 409: NotHealthyReply },
      },
    },
    async (request) => environments.renew(Number(request.params.env_id), expireOf(request.body?.expire)),
  )

  app.get(
    '/delete/:env_id',
    { schema: { params: IdParams, response: { 200: DeleteReply, ...errors } } },
    async (request) => environments.delete(Number(request.params.env_id)),
  )

  app.get('/list', { schema: { response: { 200: ListReply, ...errors } } }, async () => environments.list())
}

/** For operators and load balancers: open even with a token. */
export const healthRoute: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    { schema: { response: { 200: HealthReply, 503: HealthReply } } },
    async (_request, reply) => {
      const engine = await app.engineAlive()
      return reply
        .code(engine ? 200 : 503)
        .send({ ok: engine, engine, environments: app.environments.counts() })
    },
  )
}

function integer(value: number | string, field: string): number {
  const n = typeof value === 'number' ? value : Number(value.trim())
  if (!Number.isSafeInteger(n) || n > 2147483647)
    throw new EnvdError(400, `body: ${field} must be an integer from 0 to 2147483647`)
  return n
}

function expireOf(text: string | null | undefined): Date | undefined {
  if (text === undefined || text === null) return undefined
  const date = parseIso(text)
  if (!date)
    throw new EnvdError(
      400,
      `body: expire ${JSON.stringify(text)} is not an ISO 8601 date-time (e.g. 2020-11-14T02:38:10.732108+00:00)`,
    )
  return date
}
