import {
  type PersonaSchemaIssue,
  validatePersonaRequest,
  validatePersonaResponse,
} from './persona-schema-validator.js'

/** One request or response that did not match Persona's official schema. */
export type PersonaSchemaViolation = {
  readonly direction: 'request' | 'response'
  readonly method: string
  /** Path without origin or query string. */
  readonly path: string
  /** Response status (absent for requests). */
  readonly status?: number
  /** The matched operation, when one matched. */
  readonly operation?: string
  readonly errors: readonly PersonaSchemaIssue[]
}

/** A `fetch` that checks every JSON exchange against the schemas, and what it found. */
export type PersonaSchemaCheckingFetch = typeof fetch & {
  /** Every mismatch seen so far, in order. Empty means every checked body matched. */
  readonly violations: PersonaSchemaViolation[]
  /** How many responses were checked (JSON bodies of documented operations). */
  readonly checkedResponses: () => number
}

/** Options of {@link createPersonaSchemaCheckingFetch}. */
export type PersonaSchemaCheckingOptions = {
  /** Also check JSON request bodies (default true). Multipart bodies are never checked here. */
  readonly checkRequests?: boolean
  /** Responses to leave unchecked, e.g. simulator-only control routes. */
  readonly skip?: (method: string, path: string) => boolean
}

async function readJsonRequestBody(request: Request): Promise<unknown> {
  const contentType = request.headers.get('Content-Type') ?? ''
  if (!contentType.toLowerCase().includes('json')) return undefined
  const text = await request.clone().text()
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/**
 * Wraps `fetch` so that every JSON request and response that goes through it is checked against
 * Persona's official OpenAPI schemas. The Persona simulator's tests (and an adapter's, if it likes)
 * route their traffic through it and finally assert `violations` is empty, which turns "the simulator
 * speaks Persona" into a checked property of every exchange instead of a promise.
 *
 * @example
 * const checkedFetch = createPersonaSchemaCheckingFetch()
 * await checkedFetch(`${baseUrl}/api/v1/lists`, { headers: { Authorization: `Bearer ${apiKey}` } })
 * expect(checkedFetch.violations).toEqual([])
 */
export function createPersonaSchemaCheckingFetch(
  inner: typeof fetch = fetch,
  options: PersonaSchemaCheckingOptions = {},
): PersonaSchemaCheckingFetch {
  const violations: PersonaSchemaViolation[] = []
  let checked = 0
  const checkingFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    const method = request.method
    const path = url.pathname
    const skipped = options.skip?.(method, path) ?? false
    if (!skipped && options.checkRequests !== false) {
      const contentType = request.headers.get('Content-Type') ?? ''
      if (!contentType.toLowerCase().startsWith('multipart/')) {
        const body = await readJsonRequestBody(request)
        const result = validatePersonaRequest({ method, path, body, contentType: 'application/json' })
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
    }
    const response = await inner(request)
    if (skipped) return response
    const contentType = response.headers.get('Content-Type') ?? ''
    if (!contentType.toLowerCase().includes('json')) return response
    const text = await response.clone().text()
    let body: unknown
    try {
      body = text === '' ? undefined : JSON.parse(text)
    } catch {
      body = text
    }
    checked += 1
    const result = validatePersonaResponse({ method, path, status: response.status, body })
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
  }) as PersonaSchemaCheckingFetch
}
