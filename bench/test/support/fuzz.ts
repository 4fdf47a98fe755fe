import fc from 'fast-check'

/** A response the simulator really sent, kept to be mutated. */
export type RecordedResponse = { status: number; body: string }

/** Real responses by `METHOD /path/template`, identifiers replaced by `:id`. */
export type ResponseRecordings = Map<string, RecordedResponse[]>

/** `METHOD /path` with every identifier segment replaced, so responses can be looked up by endpoint. */
export function endpointOf(method: string, url: string): string {
  const path = new URL(url).pathname
    .split('/')
    .map((segment) =>
      /^[0-9a-f-]{36}$/i.test(segment) || /^[a-z]+_[A-Za-z0-9]{8,}$/.test(segment) ? ':id' : segment,
    )
    .join('/')
  return `${method} ${path}`
}

/** Wraps a simulator's `fetch` so that every JSON response it sends is kept in `recordings`. */
export function recordingFetch(fetch: typeof globalThis.fetch, recordings: ResponseRecordings): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request && init === undefined ? input : new Request(input, init)
    const response = await fetch(request)
    const body = await response.clone().text()
    if (body.trim().startsWith('{')) {
      const endpoint = endpointOf(request.method, request.url)
      const list = recordings.get(endpoint) ?? []
      list.push({ status: response.status, body })
      recordings.set(endpoint, list)
    }
    return response
  }) as typeof fetch
}

/** How one fuzzed response is made. */
export type ResponseSpec = {
  /** `recorded`: the real response's status; otherwise this status. */
  status: 'recorded' | number
  body:
    | { kind: 'mutated'; pick: number; path: number[]; replacement: unknown; remove: boolean }
    | { kind: 'truncated'; pick: number; fraction: number }
    | { kind: 'json'; value: unknown }
    | { kind: 'text'; value: string }
    | { kind: 'empty' }
  contentType: string | undefined
  retryAfter: string | undefined
}

const printable = fc.stringMatching(/^[\x20-\x7e]{0,12}$/)

/** Fuzzed responses: mostly real ones with one value changed deep inside, plus noise of every kind. */
export const responseSpec: fc.Arbitrary<ResponseSpec> = fc.record({
  status: fc.oneof(
    { weight: 5, arbitrary: fc.constant('recorded' as const) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(200, 201, 202, 204, 400, 401, 403, 404, 409, 410, 422, 429, 500, 502, 503),
    },
    { weight: 1, arbitrary: fc.integer({ min: 200, max: 599 }) },
  ),
  body: fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('mutated' as const),
        pick: fc.nat(),
        path: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        replacement: fc.oneof(
          fc.jsonValue({ maxDepth: 2 }),
          fc.constantFrom(null, '', 0, -1, true, [], {}, 'UNKNOWN_VALUE', '2030-02-30', 'ZZ'),
        ),
        remove: fc.boolean(),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('truncated' as const),
        pick: fc.nat(),
        fraction: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue({ maxDepth: 3 }) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('text' as const), value: fc.string({ maxLength: 40 }) }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'empty' as const }) },
  ),
  contentType: fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    'text/html',
    undefined,
  ),
  retryAfter: fc.option(fc.oneof(fc.nat({ max: 5 }).map(String), printable), { nil: undefined }),
})

/** Replaces (or removes) the value at a path chosen by `path` (indexes taken modulo each level's size). */
export function mutateJson(
  value: unknown,
  path: readonly number[],
  replacement: unknown,
  remove: boolean,
): unknown {
  if (path.length === 0 || typeof value !== 'object' || value === null) return replacement
  const [step, ...rest] = path as [number, ...number[]]
  if (Array.isArray(value)) {
    if (value.length === 0) return replacement
    const index = step % value.length
    const copy = [...value]
    if (rest.length === 0 && remove) copy.splice(index, 1)
    else copy[index] = mutateJson(value[index], rest, replacement, remove)
    return copy
  }
  const keys = Object.keys(value)
  if (keys.length === 0) return replacement
  const key = keys[step % keys.length]!
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) }
  if (rest.length === 0 && remove) delete copy[key]
  else copy[key] = mutateJson(copy[key], rest, replacement, remove)
  return copy
}

const nullBodyStatuses = new Set([204, 205, 304])

/** Builds the fuzzed `Response` for one request. */
export function fuzzedResponse(
  spec: ResponseSpec,
  recordings: ResponseRecordings,
  endpoint: string,
): Response {
  const candidates = recordings.get(endpoint) ?? []
  const recorded = (pick: number) => candidates[pick % Math.max(1, candidates.length)]
  let text: string
  let status = spec.status === 'recorded' ? 200 : spec.status
  switch (spec.body.kind) {
    case 'mutated': {
      const original = recorded(spec.body.pick)
      if (spec.status === 'recorded' && original !== undefined) status = original.status
      text =
        original === undefined
          ? JSON.stringify(spec.body.replacement)
          : (JSON.stringify(
              mutateJson(JSON.parse(original.body), spec.body.path, spec.body.replacement, spec.body.remove),
            ) ?? '')
      break
    }
    case 'truncated': {
      const original = recorded(spec.body.pick)
      if (spec.status === 'recorded' && original !== undefined) status = original.status
      const body = original?.body ?? '{"data":{"id":"x"}}'
      text = body.slice(0, Math.floor(body.length * spec.body.fraction))
      break
    }
    case 'json':
      text = JSON.stringify(spec.body.value) ?? ''
      break
    case 'text':
      text = spec.body.value
      break
    case 'empty':
      text = ''
      break
  }
  const headers = new Headers()
  if (spec.contentType !== undefined) headers.set('content-type', spec.contentType)
  if (spec.retryAfter !== undefined) headers.set('retry-after', spec.retryAfter)
  return new Response(nullBodyStatuses.has(status) ? null : text, { status, headers })
}

/** A `fetch` that answers every request with the next fuzzed response (the last one repeats). */
export function fuzzedFetch(
  specs: readonly ResponseSpec[],
  recordings: ResponseRecordings,
  served: { count: number },
): typeof fetch {
  let next = 0
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request && init === undefined ? input : new Request(input, init)
    await request.arrayBuffer().catch(() => undefined)
    const spec = specs[Math.min(next, specs.length - 1)]!
    next += 1
    served.count += 1
    return fuzzedResponse(spec, recordings, endpointOf(request.method, request.url))
  }) as typeof fetch
}
