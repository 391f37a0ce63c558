import { setTimeout as sleep } from 'node:timers/promises'

export interface Answer {
  readonly status: number
  /** The parsed JSON (any: scenarios read a few fields of the seed's answers). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the seed's answers, read field by field
  readonly body: any
}

/** One call to envd; a connection that fails (a killed service) is status 0. */
export async function request(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 30_000,
): Promise<Answer> {
  try {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = JSON.parse(text)
    } catch {
      // not JSON: kept as text, which the scenario reports
    }
    return { status: res.status, body: parsed }
  } catch (err) {
    return { status: 0, body: String(err) }
  }
}

export interface View {
  readonly id: number
  readonly status: number
  readonly node_ip: string | null
  readonly node_port: number | null
  readonly expire: string
}

/** `list` once nothing is CREATING any more (or `ms` have passed). */
export async function settledList(base: string, ms: number): Promise<View[]> {
  const deadline = Date.now() + ms
  for (;;) {
    const list = await request(base, 'GET', '/env/list')
    const views = (Array.isArray(list.body) ? list.body : []) as View[]
    if ((list.status === 200 && !views.some((v) => v.status === 0)) || Date.now() > deadline) return views
    await sleep(250)
  }
}

/** Deletes every environment of the list at once; returns the ids whose delete did not answer 3. */
export async function deleteAll(base: string, ids: readonly number[]): Promise<number[]> {
  const answers = await Promise.all(
    ids.map((id) => request(base, 'GET', `/env/delete/${id}`, undefined, 120_000)),
  )
  return ids.filter((_, i) => answers[i].body?.status !== 3)
}
