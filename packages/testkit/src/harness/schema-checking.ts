/**
 * Holding a simulator to its vendor's OpenAPI document: matching concrete request lines to the
 * documented operations, shaping validator errors into issues that never carry a value, and a `fetch`
 * that checks every exchange going through it. The vendor's own validator (its schemas, its JSON
 * Schema dialect, its spec errata) stays in the vendor's simulator; everything around it lives here.
 */

/**
 * One schema violation. It names where and which rule, never the offending value: simulator bodies
 * carry applicant data, and these messages end up in test output and logs.
 */
export type SchemaIssue = {
  /** JSON pointer into the validated body (`/data/attributes/status`), `''` for the body itself. */
  readonly pointer: string
  /** What the schema expected, e.g. `must be equal to one of the allowed values`. */
  readonly message: string
}

/** Outcome of checking one body against a vendor's OpenAPI document. */
export type SchemaValidationResult = {
  readonly valid: boolean
  readonly errors: readonly SchemaIssue[]
  /** The matched operation (`GET /applicants/{applicant_id}`), absent when none matched. */
  readonly operation?: string
}

/** A documented operation that matched a concrete request line. */
export type OperationMatch = {
  /** `METHOD /template` as the document writes it, e.g. `POST /applicants/{applicant_id}/restore`. */
  readonly operation: string
  /** Path parameters by their document name, e.g. `{ applicant_id: '9f0c…' }`. */
  readonly parameters: Readonly<Record<string, string>>
}

/** Finds the documented operation of a concrete request line. See {@link createOperationMatcher}. */
export type OperationMatcher = {
  /** The operation for a method and a path, URL or path with a query string; `undefined` when none. */
  match(method: string, path: string): OperationMatch | undefined
  /** What the document calls a concrete path: no origin, query, base path or trailing slash. */
  normalize(path: string): string
  /** Every operation, most literal segments first (the order `match` tries them in). */
  operations(): string[]
}

/** Options of {@link createOperationMatcher}. */
export type OperationMatcherOptions = {
  /** Every documented operation as `METHOD /template` (`GET /cases/{case-id}`). */
  readonly operations: Iterable<string>
  /** The prefix the vendor's URLs carry before the document's paths (`/v3.6`, `/api/v1`). */
  readonly basePath?: string
}

type CompiledTemplate = {
  operation: string
  method: string
  expression: RegExp
  parameterNames: string[]
  literalSegments: number
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

function compileTemplate(operation: string): CompiledTemplate {
  const [method = '', template = ''] = operation.split(' ')
  const parameterNames: string[] = []
  let literalSegments = 0
  const pattern = template
    .split('/')
    .map((segment) => {
      const parameter = /^\{(.+)\}$/.exec(segment)
      if (parameter) {
        parameterNames.push(parameter[1] ?? '')
        return '([^/]+)'
      }
      if (segment !== '') literalSegments += 1
      return escapeRegExp(segment)
    })
    .join('/')
  return {
    operation,
    method: method.toUpperCase(),
    expression: new RegExp(`^${pattern}$`),
    parameterNames,
    literalSegments,
  }
}

/**
 * Builds the matcher from a document's operations, so simulator routes and document templates are
 * compared without hard-coding either. Literal segments win over parameters
 * (`/webhooks/resend` before `/webhooks/{webhook_id}`).
 *
 * @example
 * const matcher = createOperationMatcher({ operations: ['POST /applicants/{applicant_id}/restore'], basePath: '/v3.6' })
 * matcher.match('POST', 'https://api.eu.onfido.com/v3.6/applicants/9f0c/restore?x=1')
 * // { operation: 'POST /applicants/{applicant_id}/restore', parameters: { applicant_id: '9f0c' } }
 */
export function createOperationMatcher(options: OperationMatcherOptions): OperationMatcher {
  const templates = [...options.operations]
    .map(compileTemplate)
    .sort((left, right) => right.literalSegments - left.literalSegments)
  const basePath =
    options.basePath === undefined || options.basePath === ''
      ? undefined
      : new RegExp(`^${escapeRegExp(options.basePath.replace(/\/+$/, ''))}(?=/)`)
  const normalize = (path: string): string => {
    let normalized = path
    if (/^[a-z]+:\/\//i.test(normalized)) normalized = new URL(normalized).pathname
    normalized = normalized.replace(/[?#].*$/, '')
    if (basePath !== undefined) normalized = normalized.replace(basePath, '')
    if (normalized.length > 1) normalized = normalized.replace(/\/+$/, '')
    return normalized
  }
  return {
    normalize,
    operations: () => templates.map((template) => template.operation),
    match(method, path) {
      const upperMethod = method.toUpperCase()
      const normalized = normalize(path)
      for (const template of templates) {
        if (template.method !== upperMethod) continue
        const found = template.expression.exec(normalized)
        if (!found) continue
        const parameters: Record<string, string> = {}
        template.parameterNames.forEach((name, index) => {
          parameters[name] = decodeURIComponent(found[index + 1] ?? '')
        })
        return { operation: template.operation, parameters }
      }
      return undefined
    },
  }
}

/** The parts of a JSON Schema validator's error (ajv's `ErrorObject`) an issue is made of. */
export type SchemaValidatorError = {
  readonly instancePath: string
  readonly keyword: string
  readonly message?: string | undefined
  readonly params: object
}

/** A compiled JSON Schema validator (ajv's `ValidateFunction`, any draft). */
export type CompiledSchemaValidator = ((body: unknown) => unknown) & {
  readonly errors?: readonly SchemaValidatorError[] | null | undefined
}

/**
 * A validator's error → an issue: the pointer and the rule, with the property name a `required`,
 * `additionalProperties` or `unevaluatedProperties` rule is about, never the value.
 */
export function schemaIssueOf(error: SchemaValidatorError): SchemaIssue {
  const parameters = error.params as Record<string, unknown>
  const property = [
    parameters.missingProperty,
    parameters.additionalProperty,
    parameters.unevaluatedProperty,
  ].find((name) => typeof name === 'string')
  return {
    pointer: error.instancePath,
    message: `${error.message ?? error.keyword}${property === undefined ? '' : ` (${property})`}`,
  }
}

/** Runs a compiled validator on a body and shapes the outcome (issues without values). */
export function validateWithSchema(
  validate: CompiledSchemaValidator,
  body: unknown,
  operation?: string,
): SchemaValidationResult {
  const valid = validate(body) === true
  const errors = valid ? [] : (validate.errors ?? []).map(schemaIssueOf)
  return operation === undefined ? { valid, errors } : { valid, errors, operation }
}

/** A failed validation with one issue on the whole body (`no documented operation for …`). */
export function schemaFailure(message: string, operation?: string): SchemaValidationResult {
  const errors = [{ pointer: '', message }]
  return operation === undefined ? { valid: false, errors } : { valid: false, errors, operation }
}

/** A request as {@link createSchemaCheckingFetch} hands it to the vendor's validator. */
export type SchemaCheckedRequest = {
  readonly method: string
  /** Path without origin or query string. */
  readonly path: string
  /** The request's `Content-Type` header, `''` when absent. */
  readonly contentType: string
  /** The parsed JSON body for a JSON media type (`undefined` when empty, the text when not JSON); else `undefined`. */
  readonly body: unknown
}

/** A response as {@link createSchemaCheckingFetch} hands it to the vendor's validator. */
export type SchemaCheckedResponse = SchemaCheckedRequest & { readonly status: number }

/** One request or response that did not match the vendor's document. */
export type SchemaViolation = {
  readonly direction: 'request' | 'response'
  readonly method: string
  /** Path without origin or query string. */
  readonly path: string
  /** Response status (absent for requests). */
  readonly status?: number
  /** The matched operation, when one matched. */
  readonly operation?: string
  readonly errors: readonly SchemaIssue[]
}

/** A `fetch` that checks every exchange against a vendor's document, and what it found. */
export type SchemaCheckingFetch = typeof fetch & {
  /** Every mismatch seen so far, in order. Empty means every checked exchange matched. */
  readonly violations: SchemaViolation[]
  /** How many responses were checked. */
  readonly checkedResponses: () => number
}

/** Options of {@link createSchemaCheckingFetch}. */
export type SchemaCheckingFetchOptions = {
  /**
   * Checks one response against the document; `undefined` leaves it unchecked and uncounted (a media
   * type the document's schemas do not describe).
   */
  readonly validateResponse: (response: SchemaCheckedResponse) => SchemaValidationResult | undefined
  /** Checks one request body; `undefined` leaves it unchecked (multipart, no body). */
  readonly validateRequest?: (request: SchemaCheckedRequest) => SchemaValidationResult | undefined
  /** The `fetch` to wrap (a simulator's in-process `fetch`, or the global one for a loopback port). */
  readonly fetch?: typeof fetch
  /** Also check request bodies (default true). */
  readonly checkRequests?: boolean
  /** Exchanges to leave unchecked: a simulator's own routes (hosted page, controls), not the vendor's API. */
  readonly skip?: (method: string, path: string) => boolean
}

const isJson = (contentType: string) => contentType.toLowerCase().includes('json')

function parseBody(text: string): unknown {
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/**
 * Wraps `fetch` so that every exchange that goes through it is checked by the vendor's validator:
 * request bodies on the way out, responses on the way back (status, media type and body, as the
 * validator decides). A simulator's tests route all their traffic through it and assert `violations`
 * is empty, which makes "the simulator speaks the vendor's API" a checked property of every exchange.
 *
 * @example
 * const checkedFetch = createSchemaCheckingFetch({
 *   fetch: simulator.fetch,
 *   validateResponse: ({ method, path, status, body }) => validateAcmeResponse({ method, path, status, body }),
 * })
 * await checkedFetch('https://api.acme.test/v1/sessions/s_1')
 * expect(checkedFetch.violations).toEqual([])
 * expect(checkedFetch.checkedResponses()).toBe(1)
 */
export function createSchemaCheckingFetch(options: SchemaCheckingFetchOptions): SchemaCheckingFetch {
  const inner = options.fetch ?? fetch
  const violations: SchemaViolation[] = []
  let checked = 0
  const record = (
    direction: SchemaViolation['direction'],
    exchange: { method: string; path: string; status?: number },
    result: SchemaValidationResult | undefined,
  ) => {
    if (result === undefined || result.valid) return
    violations.push({
      direction,
      method: exchange.method,
      path: exchange.path,
      ...(exchange.status === undefined ? {} : { status: exchange.status }),
      ...(result.operation === undefined ? {} : { operation: result.operation }),
      errors: result.errors,
    })
  }
  const checkingFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init)
    const { pathname: path } = new URL(request.url)
    const method = request.method
    const skipped = options.skip?.(method, path) ?? false
    if (!skipped && options.checkRequests !== false && options.validateRequest !== undefined) {
      const contentType = request.headers.get('content-type') ?? ''
      const body = isJson(contentType) ? parseBody(await request.clone().text()) : undefined
      record('request', { method, path }, options.validateRequest({ method, path, contentType, body }))
    }
    const response = await inner(request)
    if (skipped) return response
    const contentType = response.headers.get('content-type') ?? ''
    const text = isJson(contentType) || contentType === '' ? await response.clone().text() : ''
    const body = isJson(contentType) ? parseBody(text) : text === '' ? undefined : text
    const { status } = response
    const result = options.validateResponse({ method, path, status, contentType, body })
    if (result !== undefined) checked += 1
    record('response', { method, path, status }, result)
    return response
  }
  return Object.assign(checkingFetch, {
    violations,
    checkedResponses: () => checked,
  }) as SchemaCheckingFetch
}
