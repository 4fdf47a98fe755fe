/**
 * Onfido's error envelope, `{error: {type, message, fields}}` (SPEC `responses/default_error.yaml`;
 * `reference/onfido-api.md` §11). Messages never repeat a submitted value: they name fields only.
 */

/** The error types the simulator answers with. `authorization_error` and `rate_limit` are [UNCERTAIN]. */
export type OnfidoErrorType =
  | 'validation_error'
  | 'resource_not_found'
  | 'deletion_incomplete_checks'
  | 'authorization_error'
  | 'rate_limit'
  | 'incorrect_content_type'
  | 'invalid_state'
  | 'internal_server_error'
  | 'service_unavailable'

/** The body of an Onfido error response. */
export type OnfidoErrorBody = {
  error: { type: string; message: string; fields: Record<string, unknown> }
}

/** Thrown by route handlers; the app turns it into the envelope with its status. */
export class OnfidoApiError extends Error {
  readonly status: number
  readonly type: OnfidoErrorType
  readonly fields: Record<string, unknown>

  constructor(status: number, type: OnfidoErrorType, message: string, fields: Record<string, unknown> = {}) {
    super(message)
    this.name = 'OnfidoApiError'
    this.status = status
    this.type = type
    this.fields = fields
  }

  /** The JSON body Onfido sends for this error. */
  toBody(): OnfidoErrorBody {
    return { error: { type: this.type, message: this.message, fields: this.fields } }
  }
}

/** `404 resource_not_found`, worded as the live API words it (NODE `applicants.test.ts`). */
export function resourceNotFound(resource: string, id: string): OnfidoApiError {
  return new OnfidoApiError(
    404,
    'resource_not_found',
    `Could not find the following resource: ${resource} with id=${id}`,
  )
}

/** `422 validation_error` with `fields` mapping each field to its messages. */
export function validationError(fields: Record<string, string[]>): OnfidoApiError {
  return new OnfidoApiError(422, 'validation_error', 'There was a validation error on this request', fields)
}

const statusTypes: Record<number, OnfidoErrorType> = {
  401: 'authorization_error',
  404: 'resource_not_found',
  422: 'validation_error',
  429: 'rate_limit',
  503: 'service_unavailable',
}

/**
 * The envelope the harness's `failNext` sends when a test gives no body, so injected faults look like
 * Onfido's own errors.
 *
 * @example
 * createSimulator({ name: 'onfido', handle, errorBody: onfidoErrorBody })
 */
export function onfidoErrorBody(status: number): OnfidoErrorBody {
  const type = statusTypes[status] ?? (status >= 500 ? 'internal_server_error' : 'validation_error')
  return { error: { type, message: `Simulated Onfido failure (${status})`, fields: {} } }
}
