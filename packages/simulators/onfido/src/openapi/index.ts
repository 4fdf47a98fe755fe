/**
 * Onfido's official OpenAPI spec v3.6 as a fidelity oracle: a validator for responses, JSON requests
 * and webhook bodies, the list of the spec's known bugs it corrects, and a schema-checking `fetch`.
 *
 * @packageDocumentation
 */

export {
  listOnfidoOperations,
  matchOnfidoOperation,
  type OnfidoOperationMatch,
  type OnfidoSchemaIssue,
  type OnfidoValidationResult,
  onfidoSchemaSource,
  onfidoSpecEnum,
  type ValidateOnfidoRequestOptions,
  type ValidateOnfidoResponseOptions,
  validateOnfidoRequest,
  validateOnfidoResponse,
  validateOnfidoWebhookBody,
} from './onfido-schema-validator.js'
export { type OnfidoSpecErratum, onfidoSpecErrata } from './onfido-spec-errata.js'
export {
  createOnfidoSchemaCheckingFetch,
  type OnfidoSchemaCheckingFetch,
  type OnfidoSchemaCheckingOptions,
  type OnfidoSchemaViolation,
} from './schema-checking-fetch.js'
