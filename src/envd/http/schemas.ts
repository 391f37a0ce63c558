import { Type, type Static } from '@sinclair/typebox'

/**
 * Request and response schemas. Fastify validates requests with them (ajv, no type coercion:
 * what is accepted is spelled out here) and serializes responses with them, so an answer
 * carries exactly the seed's fields in the seed's order.
 */

/** WTForms' IntegerField takes a number or a string of digits (the seed's curl sends `"uid": "1"`). */
const IntegerField = Type.Union([
  Type.Integer({ minimum: 0, maximum: 2147483647 }),
  Type.String({ pattern: '^\\s*[0-9]{1,10}\\s*$' }),
])
const DateTimeField = Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])

export const IdParams = Type.Object({ env_id: Type.String({ pattern: '^[0-9]{1,15}$' }) })

export const CreateBody = Type.Object(
  {
    uid: IntegerField,
    challenge: IntegerField,
    compose_file: Type.String({ minLength: 1, maxLength: 1024 }),
    flag: Type.Optional(Type.Union([Type.String({ maxLength: 4096 }), Type.Null()])),
    expire: Type.Optional(DateTimeField),
  },
  { additionalProperties: false },
)

export const RenewBody = Type.Union([
  Type.Object({ expire: Type.Optional(DateTimeField) }, { additionalProperties: false }),
  Type.Null(),
])

export const EnvView = Type.Object({
  expire: Type.String(),
  id: Type.Integer(),
  node_ip: Type.Union([Type.String(), Type.Null()]),
  node_port: Type.Union([Type.Integer(), Type.Null()]),
  status: Type.Integer(),
})

export const CreateReply = Type.Object({ status: Type.Literal(0), id: Type.Integer() })
export const RenewReply = Type.Object({ expire: Type.String(), status: Type.Literal(1) })
export const DeleteReply = Type.Object({ status: Type.Literal(3) })
export const ListReply = Type.Array(EnvView)
export const ErrorReply = Type.Object({ status: Type.Literal(-1), error: Type.String() })
/** The seed's answer to a renew of an environment that is not healthy, exactly (409; the reason in a header). */
export const NotHealthyReply = Type.Object({ status: Type.Literal(-1) })
export const HealthReply = Type.Object({
  ok: Type.Boolean(),
  engine: Type.Boolean(),
  environments: Type.Object({ creating: Type.Integer(), created: Type.Integer(), error: Type.Integer() }),
})

export type CreateBodyT = Static<typeof CreateBody>

/** What each field must be, for 400 messages (ajv's own would say "must match a schema in anyOf"). */
export const FIELD_RULES: Readonly<Record<string, string>> = {
  uid: 'must be an integer from 0 to 2147483647 (a number, or a string of digits)',
  challenge: 'must be an integer from 0 to 2147483647 (a number, or a string of digits)',
  compose_file: 'must be a non-empty string: a path under <data>/compose/',
  flag: 'must be a string of at most 4096 characters, or null',
  expire: 'must be an ISO 8601 date-time string, e.g. 2020-11-14T02:38:10.732108+00:00, or null',
  env_id: 'must be an environment id (a positive integer)',
}
