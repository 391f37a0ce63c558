import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import {
  ConflictError,
  EnvdError,
  NotFoundError,
  OverCapError,
  RefusedError,
  StoreDownError,
} from '../errors'
import { FIELD_RULES } from './schemas'

/** Every error answer: the seed's "program error" status and a message saying what is wrong. */
export interface ErrorBody {
  readonly status: -1
  readonly error: string
}

export function errorBody(message: string): ErrorBody {
  return { status: -1, error: message }
}

/** The status of each of the state machine's refusals. */
export function domainStatus(err: unknown): 404 | 409 | 429 | 503 | undefined {
  if (err instanceof NotFoundError) return 404
  if (err instanceof ConflictError) return 409
  if (err instanceof OverCapError) return 429
  if (err instanceof RefusedError || err instanceof StoreDownError) return 503
  return undefined
}

/** 4xx for what the request got wrong (nothing changed), 500 (logged) for our own failures. */
export function handleError(
  err: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (err instanceof EnvdError) return reply.code(err.statusCode).send(errorBody(err.message))
  const domain = domainStatus(err)
  // 409, a renew of an environment that is not healthy: the seed's answer exactly,
  // `{"status": -1}` (a client may compare it whole); the reason goes in a header.
  if (domain === 409)
    return reply.code(409).header('X-Levrt-Error', headerSafe(err.message)).send({ status: -1 })
  if (domain) return reply.code(domain).send(errorBody(err.message))
  // Fastify's own (validation, body too large...) carry their status; anything else is ours: 500.
  const fastify = err as FastifyError
  if (fastify.validation) return reply.code(400).send(errorBody(validationMessage(fastify)))
  const status = fastify.statusCode ?? 500
  if (status < 500) return reply.code(status).send(errorBody(err.message))
  request.log.error({ err }, 'request failed')
  return reply.code(status).send(errorBody(`internal error: ${err.message}`))
}

/** A message as a header value: printable ASCII only (HTTP refuses control characters). */
function headerSafe(message: string): string {
  return message.replace(/[^\x20-\x7e]/g, '?')
}

function validationMessage(err: FastifyError): string {
  const where = err.validationContext ?? 'request'
  const first = err.validation![0]
  const params = first.params as { missingProperty?: string; additionalProperty?: string }
  if (params.missingProperty) return `${where}: ${params.missingProperty} is required`
  if (params.additionalProperty) return `${where}: unknown field ${JSON.stringify(params.additionalProperty)}`
  const field = first.instancePath.split('/')[1]
  if (field && FIELD_RULES[field]) return `${where}: ${field} ${FIELD_RULES[field]}`
  if (!field) return `${where} must be a JSON object`
  return `${where}${first.instancePath.replace(/\//g, '.')} ${first.message ?? 'is invalid'}`
}
