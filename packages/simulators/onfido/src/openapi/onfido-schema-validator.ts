import { createRequire } from 'node:module'
import {
  createOperationMatcher,
  schemaFailure as failure,
  type OperationMatch,
  type SchemaIssue,
  type SchemaValidationResult,
  validateWithSchema,
} from '@openkyc/testkit/harness'
import { Ajv, type ValidateFunction } from 'ajv'
import { onfidoSpecErrata } from './onfido-spec-errata.js'

/**
 * One schema violation. It names where and which rule, never the offending value: simulator bodies
 * carry applicant data, and these messages end up in test output and logs.
 */
export type OnfidoSchemaIssue = SchemaIssue

/** Outcome of checking one body against Onfido's official OpenAPI spec. */
export type OnfidoValidationResult = SchemaValidationResult

/** A documented operation that matched a concrete request line (`POST /applicants/{applicant_id}/restore`). */
export type OnfidoOperationMatch = OperationMatch

type OpenApiMediaTypes = Record<string, { schema?: unknown }>
type OpenApiOperation = {
  requestBody?: { content?: OpenApiMediaTypes }
  responses: Record<string, { content?: OpenApiMediaTypes }>
}
type OpenApiDocument = {
  info: { title: string; version: string }
  paths: Record<string, Record<string, OpenApiOperation>>
  components: { schemas: Record<string, Record<string, unknown>> }
}

// The spec ships as a JSON file beside this module (copied into dist at build time).
const spec = createRequire(import.meta.url)('./onfido-openapi.json') as OpenApiDocument

const httpMethods = ['get', 'post', 'put', 'patch', 'delete'] as const
const componentsId = 'https://openkyc.invalid/onfido-openapi/components.json'

/** Where the schemas come from, for messages and docs. */
export const onfidoSchemaSource: { readonly title: string; readonly version: string; readonly file: string } =
  Object.freeze({
    title: spec.info.title,
    version: spec.info.version,
    file: 'docs/reference/onfido-openapi.json (onfido/onfido-openapi-spec v6.2.0, MIT)',
  })

const operations = createOperationMatcher({
  operations: Object.entries(spec.paths).flatMap(([template, item]) =>
    httpMethods
      .filter((method) => item[method] !== undefined)
      .map((method) => `${method.toUpperCase()} ${template}`),
  ),
  basePath: '/v3.6',
})

/**
 * Finds the documented operation for a concrete method and path (the `/v3.6` prefix, origin and
 * query string are ignored).
 *
 * @example
 * matchOnfidoOperation('POST', '/v3.6/applicants/9f0c…/restore')
 * // { operation: 'POST /applicants/{applicant_id}/restore', parameters: { applicant_id: '9f0c…' } }
 */
export function matchOnfidoOperation(method: string, path: string): OnfidoOperationMatch | undefined {
  return operations.match(method, path)
}

/**
 * Rewrites OpenAPI 3.0 schema dialect into JSON Schema ajv understands:
 * - `nullable: true` becomes `anyOf: [{type: null}, <the rest>]`;
 * - `oneOf` + `discriminator.mapping` (the report union) becomes one `if name = X then <X>` per
 *   mapping entry plus an enum of the names, so a report is checked against exactly its own schema
 *   (plain `oneOf` fails whenever two report schemas both accept a body, which open schemas do);
 * - `$ref`s point into one registered components document.
 */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema)
  if (typeof node !== 'object' || node === null) return node
  const source = node as Record<string, unknown>
  const result: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(source)) {
    if (key === 'nullable' || key === 'discriminator' || key === 'example') continue
    if (key === '$ref' && typeof value === 'string') {
      result.$ref = value.replace('#/components/schemas/', `${componentsId}#/definitions/`)
      continue
    }
    // `properties` maps names to schemas: a property may well be called `nullable` or `example`.
    if (key === 'properties' && typeof value === 'object' && value !== null) {
      result.properties = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([name, schema]) => [
          name,
          toJsonSchema(schema),
        ]),
      )
      continue
    }
    result[key] = toJsonSchema(value)
  }
  const discriminator = source.discriminator as
    | { propertyName: string; mapping?: Record<string, string> }
    | undefined
  if (discriminator?.mapping !== undefined && Array.isArray(source.oneOf)) {
    const name = discriminator.propertyName
    delete result.oneOf
    result.required = [name]
    result.properties = { [name]: { enum: Object.keys(discriminator.mapping) } }
    result.allOf = Object.entries(discriminator.mapping).map(([value, reference]) => ({
      if: { properties: { [name]: { const: value } }, required: [name] },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword
      then: { $ref: reference.replace('#/components/schemas/', `${componentsId}#/definitions/`) },
    }))
  }
  if (source.nullable === true) return { anyOf: [{ type: 'null' }, result] }
  return result
}

let sharedAjv: Ajv | undefined
const compiled = new Map<string, ValidateFunction>()

function getAjv(): Ajv {
  if (sharedAjv) return sharedAjv
  // OpenAPI 3.0 is a JSON Schema draft-4/7 dialect with extra annotation keywords (`description`,
  // `xml`, `deprecated`, …): ajv's default draft-07 with unknown keywords ignored.
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true })
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/)
  ajv.addFormat('date', /^\d{4}-\d{2}-\d{2}$/)
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i)
  ajv.addFormat('uri', /^[a-z][a-z0-9+.-]*:\S+$/i)
  // `float` and `binary` are type hints, not string formats.
  ajv.addFormat('float', true)
  ajv.addFormat('binary', true)
  const schemas = structuredClone(spec.components.schemas)
  for (const erratum of onfidoSpecErrata) {
    const target = schemas[erratum.schema]
    if (target === undefined) throw new TypeError(`onfido spec erratum: no schema ${erratum.schema}`)
    erratum.apply(target)
  }
  ajv.addSchema({ $id: componentsId, definitions: toJsonSchema(schemas) as object })
  sharedAjv = ajv
  return ajv
}

function compile(key: string, schema: unknown): ValidateFunction {
  const existing = compiled.get(key)
  if (existing) return existing
  const validate = getAjv().compile(toJsonSchema(schema) as object)
  compiled.set(key, validate)
  return validate
}

function run(key: string, schema: unknown, body: unknown, operation?: string): OnfidoValidationResult {
  return validateWithSchema(compile(key, schema), body, operation)
}

function operationOf(match: OnfidoOperationMatch): OpenApiOperation {
  const [method = '', template = ''] = match.operation.split(' ')
  return spec.paths[template]![method.toLowerCase()]!
}

/** What {@link validateOnfidoResponse} checks. */
export type ValidateOnfidoResponseOptions = {
  readonly method: string
  /** Concrete path (`/v3.6/applicants/…`); origin and query string are ignored. */
  readonly path: string
  readonly status: number
  /** The response's media type (`application/json`, `text/plain`, …); parameters are ignored. */
  readonly contentType: string
  /** The parsed JSON body (`undefined` for an empty body); ignored for non-JSON media types. */
  readonly body: unknown
}

/**
 * Checks one response against the spec: the status must be documented for the operation (or fall
 * to its `default` error response), the media type must be one the spec lists for that status, an
 * empty documented response must be empty, and a JSON body must match the schema (with the
 * corrections in `onfidoSpecErrata`).
 *
 * @example
 * const result = validateOnfidoResponse({ method: 'GET', path: '/v3.6/applicants/…', status: 200, contentType: 'application/json', body })
 * if (!result.valid) console.error(result.errors)
 */
export function validateOnfidoResponse(options: ValidateOnfidoResponseOptions): OnfidoValidationResult {
  const match = matchOnfidoOperation(options.method, options.path)
  if (!match) {
    return failure(
      `no documented operation for ${options.method.toUpperCase()} ${operations.normalize(options.path)}`,
    )
  }
  const responses = operationOf(match).responses
  const status = String(options.status)
  const documented = responses[status] ?? (options.status >= 400 ? responses.default : undefined)
  if (documented === undefined) return failure(`status ${status} is not documented`, match.operation)
  const mediaType = options.contentType.split(';')[0]?.trim().toLowerCase() ?? ''
  const content = documented.content
  if (content === undefined || Object.keys(content).length === 0) {
    return options.body === undefined
      ? { valid: true, errors: [], operation: match.operation }
      : failure(`status ${status} documents an empty body`, match.operation)
  }
  const media = content[mediaType] ?? content['*/*']
  if (media === undefined) {
    return failure(
      `media type ${mediaType || '(none)'} is not documented for status ${status}`,
      match.operation,
    )
  }
  if (!mediaType.includes('json') || media.schema === undefined) {
    return { valid: true, errors: [], operation: match.operation }
  }
  return run(`response ${match.operation} ${status}`, media.schema, options.body, match.operation)
}

/** What {@link validateOnfidoRequest} checks. */
export type ValidateOnfidoRequestOptions = {
  readonly method: string
  readonly path: string
  /** The parsed JSON body. */
  readonly body: unknown
}

/**
 * Checks a JSON request body against the operation's documented `application/json` request schema,
 * so what an adapter sends can be held to the spec too. Multipart bodies are not checked here.
 *
 * @example
 * validateOnfidoRequest({ method: 'POST', path: '/v3.6/applicants', body: { first_name: 'A', last_name: 'B' } }).valid // true
 */
export function validateOnfidoRequest(options: ValidateOnfidoRequestOptions): OnfidoValidationResult {
  const match = matchOnfidoOperation(options.method, options.path)
  if (!match) {
    return failure(
      `no documented operation for ${options.method.toUpperCase()} ${operations.normalize(options.path)}`,
    )
  }
  const schema = operationOf(match).requestBody?.content?.['application/json']?.schema
  if (schema === undefined) {
    return failure('the operation documents no application/json request body', match.operation)
  }
  return run(`request ${match.operation}`, schema, options.body, match.operation)
}

/**
 * Checks a webhook body (`{payload: {resource_type, action, object, resource?}}`) against the spec's
 * `webhook_event` schema, with the §8.3 correction of its `required` list.
 *
 * @example
 * validateOnfidoWebhookBody(JSON.parse(rawBody)).valid
 */
export function validateOnfidoWebhookBody(body: unknown): OnfidoValidationResult {
  return run('webhook', { $ref: '#/components/schemas/webhook_event' }, body, 'webhook_event')
}

/** Every operation the spec documents, as `METHOD /template`. */
export function listOnfidoOperations(): string[] {
  return operations.operations()
}

/**
 * The values of an enum the spec defines as a component schema (`document_types`, `country_codes`,
 * `report_name`, …), so the simulator validates multipart fields with the spec's own lists.
 *
 * @example
 * onfidoSpecEnum('document_types').includes('passport') // true
 */
export function onfidoSpecEnum(schemaName: string): readonly string[] {
  const values = spec.components.schemas[schemaName]?.enum
  if (!Array.isArray(values)) throw new TypeError(`the Onfido spec has no enum schema ${schemaName}`)
  return values as string[]
}
