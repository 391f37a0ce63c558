import fc from 'fast-check'

export interface FuzzRequest {
  readonly method: string
  readonly path: string
  readonly headers: Record<string, string>
  readonly body?: string | Uint8Array
}

/** An id segment: numbers, near-numbers and junk. */
const idish = fc.oneof(
  fc.constantFrom('0', '2', '999999', '999999999999999', '9999999999999999999999', '-1', '1e3', '0x10'),
  fc.constantFrom(' 2', '2.0', 'NaN', '%00', '..%2F..', '%2e%2e', '2/extra', '2?x=1', '', '%'),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
)
const ROUTES = ['/env/create', '/env/list', '/health', '/metrics', '/', '/env', '/env/', '//env/list']
const path = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ROUTES) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom('/env/get/', '/env/renew/', '/env/delete/'), idish)
      .map(([p, id]) => p + id),
  },
  fc.webPath(),
  fc.tuple(fc.constantFrom(...ROUTES), fc.webQueryParameters()).map(([p, q]) => `${p}?${q}`),
  fc.integer({ min: 1000, max: 20_000 }).map((n) => `/env/get/${'9'.repeat(n)}`),
  fc.string({ maxLength: 30 }).map((s) => `/${encodeURIComponent(s)}`),
)

/** Everything but a compose file a create could accept: the service has none left (see requests.ts). */
const composeFile = fc.oneof(
  fc.constantFrom('light.yaml', './light.yaml', 'refused/privileged.yaml', 'refused/bad-yaml.yaml'),
  fc.constantFrom('refused', '../data/compose/light.yaml', '/etc/passwd', 'x\u0000y', 'a'.repeat(2000), ''),
  fc.string({ maxLength: 20 }),
)
const json = fc.jsonValue({ maxDepth: 4 })
const field = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 12 }),
  json,
  fc.constantFrom('1', ' 7 ', '-1', '1.5', 2 ** 31),
)
const nearCreate = fc.record(
  {
    uid: field,
    challenge: field,
    compose_file: fc.oneof(composeFile, json),
    flag: fc.oneof(fc.string({ maxLength: 50 }), json, fc.constant('f'.repeat(5000))),
    expire: fc.oneof(
      fc.constantFrom(
        '2030-01-01T00:00:00+00:00',
        '2020-11-14T02:38:10.732108+00:00',
        'tomorrow',
        '2030-02-30T00:00:00Z',
      ),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      json,
    ),
    other: json,
  },
  { requiredKeys: [] },
)
const body = fc.oneof(
  nearCreate.map((o) => JSON.stringify(o)),
  json.map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    '',
    ' ',
    '{',
    '{"uid":',
    'null',
    '[]',
    '{"__proto__":{"x":1}}',
    '{"constructor":{"prototype":{}}}',
  ),
  fc.uint8Array({ maxLength: 200 }),
  fc.integer({ min: 60_000, max: 120_000 }).map((n) => `{"uid":1,"flag":"${'x'.repeat(n)}"}`),
)
const headerName = fc.oneof(
  fc.constantFrom(
    'content-type',
    'accept',
    'authorization',
    'content-encoding',
    'x-forwarded-for',
    'accept-encoding',
    'cookie',
  ),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/),
)
const headerValue = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-16',
    'text/plain',
    'multipart/form-data; boundary=x',
  ),
  fc.constantFrom('application/x-www-form-urlencoded', 'gzip', 'Bearer x', '*/*', 'application/jsonx', ''),
  fc.string({ maxLength: 40 }),
)

export const requestArbitrary: fc.Arbitrary<FuzzRequest> = fc.record(
  {
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
    path,
    headers: fc.dictionary(headerName, headerValue, { maxKeys: 4 }),
    body,
  },
  { requiredKeys: ['method', 'path', 'headers'] },
)

/** Renew and delete of an environment that exists change it, rightly: those cases are not drawn. */
export function touches(request: FuzzRequest, existing: number): boolean {
  const m = /^\/env\/(renew|delete)\/([^?#/]*)/.exec(request.path)
  if (!m) return false
  let segment = m[2]
  try {
    segment = decodeURIComponent(segment)
  } catch {
    return false
  }
  return /^\s*[0-9]+\s*$/.test(segment) && Number(segment) === existing
}

/** What may answer 2xx: reads. */
export function isRead(request: FuzzRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false
  return /^\/+(health|metrics|env\/+list|env\/+get\/)/.test(request.path)
}
