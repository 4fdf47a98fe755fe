import {
  createSchemaCheckingFetch,
  type SchemaCheckingFetch,
  type SchemaViolation,
} from '@openkyc/testkit/harness'
import { validatePersonaRequest, validatePersonaResponse } from './persona-schema-validator.js'

/** One request or response that did not match Persona's official schema. */
export type PersonaSchemaViolation = SchemaViolation

/** A `fetch` that checks every JSON exchange against the schemas, and what it found. */
export type PersonaSchemaCheckingFetch = SchemaCheckingFetch

/** Options of {@link createPersonaSchemaCheckingFetch}. */
export type PersonaSchemaCheckingOptions = {
  /** Also check JSON request bodies (default true). Multipart bodies are never checked here. */
  readonly checkRequests?: boolean
  /** Responses to leave unchecked, e.g. simulator-only control routes. */
  readonly skip?: (method: string, path: string) => boolean
}

/**
 * Wraps `fetch` so that every JSON request and response that goes through it is checked against
 * Persona's official OpenAPI schemas (a request without a JSON body is checked as an empty body;
 * responses count only when they are JSON). The harness's `createSchemaCheckingFetch` with Persona's
 * validator. The Persona simulator's tests (and an adapter's, if it likes) route their traffic through
 * it and finally assert `violations` is empty.
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
  return createSchemaCheckingFetch({
    fetch: inner,
    ...options,
    validateRequest: ({ method, path, contentType, body }) =>
      contentType.toLowerCase().startsWith('multipart/')
        ? undefined
        : validatePersonaRequest({ method, path, body, contentType: 'application/json' }),
    validateResponse: ({ method, path, status, contentType, body }) =>
      contentType.toLowerCase().includes('json')
        ? validatePersonaResponse({ method, path, status, body })
        : undefined,
  })
}
