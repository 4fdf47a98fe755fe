import {
  type OnfidoSchemaIssue,
  validateOnfidoRequest,
  validateOnfidoResponse,
} from './onfido-schema-validator.js'

/** One request or response that did not match Onfido's official spec. */
export type OnfidoSchemaViolation = {
  readonly direction: 'request' | 'response'
  readonly method: string
  /** Path without origin or query string. */
  readonly path: string
  /** Response status (absent for requests). */
  readonly status?: number
  /** The matched operation, when one matched. */
  readonly operation?: string
  readonly errors: readonly OnfidoSchemaIssue[]
}

/** A `fetch` that checks every exchange against the spec, and what it found. */
export type OnfidoSchemaCheckingFetch = typeof fetch & {
  /** Every mismatch seen so far, in order. Empty means every checked exchange matched. */
  readonly violations: OnfidoSchemaViolation[]
  /** How many responses were checked. */
  readonly checkedResponses: () => number
}

/** Options of {@link createOnfidoSchemaCheckingFetch}. */
export type OnfidoSchemaCheckingOptions = {
  /** Also check JSON request bodies (default true). Multipart bodies are never checked here. */
  readonly checkRequests?: boolean
  /** Exchanges to leave unchecked: the simulator's own routes (hosted page), not Onfido's API. */
  readonly skip?: (method: string, path: string) => boolean
}

async function parseBody(text: string): Promise<unknown> {
  if (text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/**
 * Wraps `fetch` so that every response that goes through it (and every JSON request body) is checked
 * against Onfido's official OpenAPI spec: documented status, documented media type, empty bodies where
 * the spec says so, and JSON bodies that match the schema. The simulator's tests route all their
 * traffic through it and assert `violations` is empty, which makes "the simulator speaks Onfido" a
 * checked property of every exchange.
 *
 * @example
 * const checkedFetch = createOnfidoSchemaCheckingFetch()
 * await checkedFetch(`${baseUrl}/v3.6/applicants`, { headers: { Authorization: `Token token=${token}` } })
 * expect(checkedFetch.violations).toEqual([])
 */
export function createOnfidoSchemaCheckingFetch(
  inner: typeof fetch = fetch,
  options: OnfidoSchemaCheckingOptions = {},
): OnfidoSchemaCheckingFetch {
  const violations: OnfidoSchemaViolation[] = []
  let checked = 0
  const checkingFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init)
    const { pathname: path } = new URL(request.url)
    const method = request.method
    const skipped = options.skip?.(method, path) ?? false
    const requestType = request.headers.get('content-type') ?? ''
    if (!skipped && options.checkRequests !== false && requestType.toLowerCase().includes('json')) {
      const body = await parseBody(await request.clone().text())
      const result = validateOnfidoRequest({ method, path, body })
      if (!result.valid) {
        violations.push({
          direction: 'request',
          method,
          path,
          ...(result.operation === undefined ? {} : { operation: result.operation }),
          errors: result.errors,
        })
      }
    }
    const response = await inner(request)
    if (skipped) return response
    const contentType = response.headers.get('content-type') ?? ''
    const text =
      contentType.toLowerCase().includes('json') || contentType === '' ? await response.clone().text() : ''
    const body = contentType.toLowerCase().includes('json')
      ? await parseBody(text)
      : text === ''
        ? undefined
        : text
    checked += 1
    const result = validateOnfidoResponse({ method, path, status: response.status, contentType, body })
    if (!result.valid) {
      violations.push({
        direction: 'response',
        method,
        path,
        status: response.status,
        ...(result.operation === undefined ? {} : { operation: result.operation }),
        errors: result.errors,
      })
    }
    return response
  }
  return Object.assign(checkingFetch, {
    violations,
    checkedResponses: () => checked,
  }) as OnfidoSchemaCheckingFetch
}
