export {
  listPersonaOperations,
  matchPersonaOperation,
  type PersonaOperationMatch,
  type PersonaSchemaIssue,
  type PersonaValidationResult,
  personaSchemaSource,
  type ValidatePersonaRequestOptions,
  type ValidatePersonaResponseOptions,
  validatePersonaRequest,
  validatePersonaResponse,
  validatePersonaWebhookBody,
} from './persona-schema-validator.js'
export {
  createPersonaSchemaCheckingFetch,
  type PersonaSchemaCheckingFetch,
  type PersonaSchemaCheckingOptions,
  type PersonaSchemaViolation,
} from './schema-checking-fetch.js'
