import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Socket } from 'node:net'
import type { Writable } from 'node:stream'
import { requireToken } from './auth'
import { environmentsPlugin, type EnvironmentsDeps } from './environments'
import { errorBody, handleError } from './errors'
import { envRoutes, healthRoute } from './routes'

export interface AppOptions {
  readonly logLevel: string
  readonly logStream?: Writable
}

/**
 * The HTTP server without routes: Fastify with its pino request logs (method, url, status, time;
 * never a body, so never a flag) and JSON errors. Its logger is what the service logs through,
 * so the routes (`api`) are registered once the environments exist.
 */
export function buildApp(options: AppOptions): FastifyInstance {
  const app = Fastify({
    logger: { level: options.logLevel, ...(options.logStream ? { stream: options.logStream } : {}) },
    // No coercion and no silent removal: a field is what the schema says, or the request is refused.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
    // What Fastify and Node answer before a route runs (a malformed URL, a request the HTTP
    // parser refuses) in the service's error shape too, not in theirs.
    frameworkErrors: (err, request, reply) =>
      handleError(err, request as FastifyRequest, reply as FastifyReply),
    clientErrorHandler: (err, socket) => answerClientError(err, socket),
  }).withTypeProvider<TypeBoxTypeProvider>()

  // The seed's renew may come with a JSON content type and no body at all: that is "no fields".
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8')
    if (text.trim() === '') return done(null, undefined)
    parseJson(request, text, done)
  })

  app.setErrorHandler(handleError)
  app.setNotFoundHandler(notFound)
  return app
}

export interface ApiOptions extends EnvironmentsDeps {
  /** With it, every request but `/health` needs `Authorization: Bearer <token>`. */
  readonly token?: string
}

/**
 * The routes: `/health`, and the seed's calls under `/env/`. With a token, every request but
 * `/health` needs it (the contract): the hook joins the app's context, so routes the app adds
 * (`/metrics`) and unknown paths are behind it too. Not encapsulated itself, so the decorators
 * are the app's (`app.environments`).
 */
export const api = fp<ApiOptions>(
  async (app, { token, ...deps }) => {
    await app.register(environmentsPlugin, deps)
    if (token) await app.register(requireToken, { token, open: '/health' })
    await app.register(healthRoute)
    await app.register(envRoutes, { prefix: '/env' })
  },
  { name: 'levrt-envd-api', fastify: '5.x' },
)

/** A request the HTTP parser refused: 400 in the service's shape (431 for too many headers), then closed. */
function answerClientError(err: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  // As Node's own handler: an answer already begun on this connection (bytes after a request
  // that was answered) cannot be followed by another one.
  if (!socket.writable || socket.bytesWritten > 0) return void socket.destroy()
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400
  const reason = status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'
  // The answer to a HEAD has no body (its client would read one as the next answer).
  const head = Buffer.isBuffer(err.rawPacket) && err.rawPacket.subarray(0, 5).toString('latin1') === 'HEAD '
  const body = head
    ? ''
    : JSON.stringify(
        errorBody(`bad request: the HTTP request could not be read (${err.code ?? err.message})`),
      )
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `${head ? '' : `Content-Length: ${Buffer.byteLength(body)}\r\n`}Connection: close\r\n\r\n${body}`,
  )
}

function notFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.code(404).send(errorBody(`no route ${request.method} ${request.url.split('?')[0]}`))
}
