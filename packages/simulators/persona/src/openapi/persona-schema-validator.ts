import {
  createOperationMatcher,
  schemaFailure as failure,
  type OperationMatch,
  type SchemaIssue,
  type SchemaValidationResult,
  validateWithSchema,
} from '@openkyc/testkit/harness'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import trimmedDocument from './persona-schemas.json' with { type: 'json' }

/**
 * One schema violation. It names where and which rule, never the offending value: simulator bodies
 * carry applicant data, and these messages end up in test output and logs.
 */
export type PersonaSchemaIssue = SchemaIssue

/** Outcome of checking one body against Persona's official OpenAPI schemas. */
export type PersonaValidationResult = SchemaValidationResult

/**
 * A documented operation that matched a concrete request line: `METHOD /template` as written in the
 * OpenAPI bundle (`POST /cases/{case-id}/set-status`) and the path parameters by their spec name.
 */
export type PersonaOperationMatch = OperationMatch

type TrimmedOperation = {
  request: Record<string, unknown> | null
  responses: Record<string, unknown>
}

type TrimmedDocument = {
  source: string
  regenerate: string
  operations: Record<string, TrimmedOperation>
  webhooks: Record<string, unknown>
  components: { schemas: Record<string, unknown> }
}

const document = trimmedDocument as unknown as TrimmedDocument

/** Base URI under which the shared component schemas are registered with ajv. */
const componentsId = 'https://openkyc.invalid/persona-openapi/components.json'

const operations = createOperationMatcher({
  operations: Object.keys(document.operations),
  basePath: '/api/v1',
})

/**
 * Finds the documented operation for a concrete method and path, so simulator routes and spec
 * templates can be compared without hard-coding either.
 *
 * @example
 * matchPersonaOperation('POST', '/api/v1/cases/case_123/set-status')
 * // { operation: 'POST /cases/{case-id}/set-status', parameters: { 'case-id': 'case_123' } }
 */
export function matchPersonaOperation(method: string, path: string): PersonaOperationMatch | undefined {
  return operations.match(method, path)
}

let sharedAjv: Ajv2020 | undefined
const compiled = new Map<string, ValidateFunction>()

/** RFC 3339 date-time as Persona writes it (`2023-03-29T19:06:45.000Z`). */
const dateTimePattern = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:?\d{2})$/
const datePattern = /^\d{4}-\d{2}-\d{2}$/

/**
 * Builds ajv lazily: compiling the component map costs tens of milliseconds and most imports of the
 * persona entry point never validate anything.
 */
function getAjv(): Ajv2020 {
  if (sharedAjv) return sharedAjv
  const ajv = new Ajv2020({
    allErrors: true,
    strictSchema: true,
    // The vendor schemas put `properties` beside `type: [object, null]` and similar; that is legal
    // JSON Schema, just not ajv's stricter house style.
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    validateFormats: true,
    inlineRefs: false,
  })
  ajv.addFormat('date-time', dateTimePattern)
  ajv.addFormat('date', datePattern)
  // Every other format in the bundle (`binary`, `int32`, `uri`, …) is a hint Persona does not enforce
  // consistently; they are accepted as long as the type matches.
  for (const [, format] of JSON.stringify(document).matchAll(/"format":"([^"]+)"/g)) {
    if (format && format !== 'date-time' && format !== 'date') ajv.addFormat(format, true)
  }
  const components = JSON.parse(
    JSON.stringify(document.components.schemas).replaceAll('"#/components/schemas/', '"#/$defs/'),
  ) as Record<string, unknown>
  ajv.addSchema({ $id: componentsId, $defs: components })
  sharedAjv = ajv
  return ajv
}

function compile(key: string, schema: unknown): ValidateFunction {
  const existing = compiled.get(key)
  if (existing) return existing
  const rewritten = JSON.parse(
    JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${componentsId}#/$defs/`),
  ) as object
  const validate = getAjv().compile(rewritten)
  compiled.set(key, validate)
  return validate
}

function run(key: string, schema: unknown, body: unknown, operation?: string): PersonaValidationResult {
  return validateWithSchema(compile(key, schema), body, operation)
}

function isEmptyBody(body: unknown): boolean {
  return (
    body === undefined ||
    body === null ||
    body === '' ||
    (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0)
  )
}

/** What {@link validatePersonaRequest} checks. */
export type ValidatePersonaRequestOptions = {
  readonly method: string
  /** Concrete path (`/api/v1/cases/case_1/assign`, a query string and origin are ignored). */
  readonly path: string
  /** Parsed JSON body, or for multipart the fields nested as the spec names them. */
  readonly body?: unknown
  /** `application/json` (default) or `multipart/form-data`. */
  readonly contentType?: string
}

/**
 * Checks a request body against the official Persona OpenAPI request schema of its operation (keys
 * in the spec's kebab-case). Used to prove that what an adapter sends is what Persona documents,
 * independently of the simulator's own, more forgiving parsing.
 *
 * @example
 * const result = validatePersonaRequest({
 *   method: 'POST',
 *   path: '/api/v1/cases/case_1/set-status',
 *   body: { meta: { status: 'Approved' } },
 * })
 * result.valid // true
 */
export function validatePersonaRequest(options: ValidatePersonaRequestOptions): PersonaValidationResult {
  const match = matchPersonaOperation(options.method, options.path)
  if (!match)
    return failure(
      `no documented operation for ${options.method.toUpperCase()} ${operations.normalize(options.path)}`,
    )
  const definition = document.operations[match.operation] as TrimmedOperation
  const mediaType = (options.contentType ?? 'application/json').split(';')[0]?.trim().toLowerCase() ?? ''
  if (definition.request === null) {
    return isEmptyBody(options.body)
      ? { valid: true, errors: [], operation: match.operation }
      : failure('the operation documents no request body', match.operation)
  }
  const schema = definition.request[mediaType]
  if (schema === undefined) return failure(`the operation documents no ${mediaType} body`, match.operation)
  return run(`request ${match.operation} ${mediaType}`, schema, options.body ?? {}, match.operation)
}

/** What {@link validatePersonaResponse} checks. */
export type ValidatePersonaResponseOptions = {
  readonly method: string
  readonly path: string
  readonly status: number
  /** Parsed JSON body (`undefined` for an empty body). */
  readonly body: unknown
}

/**
 * Checks a response body against the official schema for its operation and status code. The Persona
 * simulator's tests run every response they see through this, which is how "the simulator speaks
 * Persona" is enforced rather than assumed. An undocumented status code is reported as invalid.
 *
 * @example
 * const response = await fetch(`${baseUrl}/api/v1/lists/${listId}`, { headers })
 * const result = validatePersonaResponse({
 *   method: 'GET',
 *   path: `/api/v1/lists/${listId}`,
 *   status: response.status,
 *   body: await response.json(),
 * })
 * if (!result.valid) console.error(result.errors)
 */
export function validatePersonaResponse(options: ValidatePersonaResponseOptions): PersonaValidationResult {
  const match = matchPersonaOperation(options.method, options.path)
  if (!match)
    return failure(
      `no documented operation for ${options.method.toUpperCase()} ${operations.normalize(options.path)}`,
    )
  const definition = document.operations[match.operation] as TrimmedOperation
  const status = String(options.status)
  if (!(status in definition.responses)) {
    return failure(`status ${status} is not documented for ${match.operation}`, match.operation)
  }
  const schema = definition.responses[status]
  if (schema === null || schema === undefined) {
    return { valid: true, errors: [], operation: match.operation }
  }
  return run(`response ${match.operation} ${status}`, schema, options.body, match.operation)
}

/** Schema for event names the bundle does not describe as webhooks: the generic `event` object. */
const genericEventBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['data'],
  properties: { data: { $ref: '#/components/schemas/event' } },
}

/**
 * Checks a webhook body (`{ data: event }`) against the bundle's webhook schema for its event name,
 * falling back to the generic `event` object for names the bundle has no webhook entry for (cases,
 * lists, verifications…).
 *
 * @example
 * validatePersonaWebhookBody({ body: JSON.parse(rawBody) }).valid
 */
export function validatePersonaWebhookBody(options: { readonly body: unknown }): PersonaValidationResult {
  const body = options.body as { data?: { attributes?: { name?: unknown } } } | null | undefined
  const name = body?.data?.attributes?.name
  if (typeof name === 'string' && name in document.webhooks) {
    return run(`webhook ${name}`, document.webhooks[name], options.body, `webhook ${name}`)
  }
  return run('webhook *', genericEventBodySchema, options.body, 'event')
}

/** Every operation the trimmed schema file covers, as `METHOD /template`. */
export function listPersonaOperations(): string[] {
  return Object.keys(document.operations)
}

/** Where the trimmed schemas come from and how to regenerate them. */
export const personaSchemaSource: { readonly source: string; readonly regenerate: string } = {
  source: document.source,
  regenerate: document.regenerate,
}
