import {
  createSchemaCheckingFetch,
  type SchemaCheckingFetch,
  type SchemaViolation,
} from '@openkyc/testkit/harness'
import { validateOnfidoRequest, validateOnfidoResponse } from './onfido-schema-validator.js'

/** One request or response that did not match Onfido's official spec. */
export type OnfidoSchemaViolation = SchemaViolation

/** A `fetch` that checks every exchange against the spec, and what it found. */
export type OnfidoSchemaCheckingFetch = SchemaCheckingFetch

/** Options of {@link createOnfidoSchemaCheckingFetch}. */
export type OnfidoSchemaCheckingOptions = {
  /** Also check JSON request bodies (default true). Multipart bodies are never checked here. */
  readonly checkRequests?: boolean
  /** Exchanges to leave unchecked: the simulator's own routes (hosted page), not Onfido's API. */
  readonly skip?: (method: string, path: string) => boolean
}

/**
 * Wraps `fetch` so that every response that goes through it (and every JSON request body) is checked
 * against Onfido's official OpenAPI spec: documented status, documented media type, empty bodies where
 * the spec says so, and JSON bodies that match the schema. Every response is counted, whatever its
 * media type. The harness's `createSchemaCheckingFetch` with Onfido's validator.
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
  return createSchemaCheckingFetch({
    fetch: inner,
    ...options,
    validateRequest: ({ method, path, contentType, body }) =>
      contentType.toLowerCase().includes('json') ? validateOnfidoRequest({ method, path, body }) : undefined,
    validateResponse: ({ method, path, status, contentType, body }) =>
      validateOnfidoResponse({ method, path, status, contentType, body }),
  })
}
