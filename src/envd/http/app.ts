import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Writable } from 'node:stream'
import { requireToken } from './auth'
import { errorBody, handleError } from './errors'
import { envRoutes, type RouteDeps } from './routes'

export interface AppOptions {
  readonly token?: string
  readonly logLevel: string
  readonly logStream?: Writable
}

/**
 * The HTTP service: Fastify with its pino request logs (method, url, status, time; never a body,
 * so never a flag), schemas on every route, and JSON errors. `routes` gets the app's logger,
 * so what the service logs goes the same way as the request logs.
 */
export function buildApp(options: AppOptions, routes: (log: FastifyInstance['log']) => RouteDeps): FastifyInstance {
  const app = Fastify({
    logger: { level: options.logLevel, ...(options.logStream ? { stream: options.logStream } : {}) },
    // No coercion and no silent removal: a field is what the schema says, or the request is refused.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>()

  // The seed's renew may come with a JSON content type and no body at all: that is "no fields".
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8')
    if (text.trim() === '') return done(null, undefined)
    parseJson(request, text, done)
  })

  if (options.token) requireToken(app, options.token)
  app.setErrorHandler(handleError)
  app.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody(`no route ${request.method} ${request.url.split('?')[0]}`)))
  void app.register(envRoutes, routes(app.log))
  return app
}
