import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { PersonaEnv, PersonaRouteContext, PresentView } from './context.js'
import { usesModernShape } from './context.js'
import {
  inflectKeys,
  normalizeKeys,
  type PersonaKeyInflection,
  type PreserveKeysPredicate,
  toKebabCase,
} from './inflection.js'
import type { RelationshipData, ResourceIdentifier, StoredResource } from './state.js'

/**
 * JSON:API document helpers shared by every Persona route: resource objects, Persona's error bodies
 * (`errors[].title/details`, not JSON:API's `detail`), key inflection on output, `include`, sparse
 * fieldsets and cursor pagination with relative links.
 *
 * @see docs/reference/persona-api.md §1 (document shape, pagination) and §9 (errors)
 */

/** A JSON:API resource object as Persona serializes it (kebab-case keys before inflection). */
export type ResourceObject = {
  type: string
  id: string
  attributes: Record<string, unknown>
  relationships?: Record<string, { data: RelationshipData }>
}

/** A top-level Persona response document. */
export type PersonaDocument = {
  data: ResourceObject | ResourceObject[] | null
  included?: ResourceObject[]
  meta?: Record<string, unknown>
  links?: { prev: string | null; next: string | null }
}

/** One entry of Persona's `errors` array. */
export type PersonaErrorObject = {
  title: string
  details?: string
  source?: { pointer: string }
}

/**
 * Thrown by handlers to answer with a Persona error body; the app's error handler renders it. Use the
 * documented titles (`Record not found`, `Bad Request`, `Conflict`, `Unprocessable entity`, …).
 */
export class PersonaApiError extends Error {
  readonly status: ContentfulStatusCode
  readonly errors: PersonaErrorObject[]

  constructor(status: ContentfulStatusCode, title: string, details?: string, pointer?: string) {
    super(title)
    this.name = 'PersonaApiError'
    this.status = status
    const error: PersonaErrorObject = { title }
    if (details !== undefined) error.details = details
    // The documented bodies carry `source.pointer` only on 422s.
    if (pointer !== undefined && status === 422) error.source = { pointer }
    this.errors = [error]
  }
}

/** The 404 Persona returns for unknown ids. */
export function recordNotFound(): PersonaApiError {
  return new PersonaApiError(404, 'Record not found')
}

/** A 400 for malformed parameters. */
export function badRequest(details: string, pointer?: string): PersonaApiError {
  return new PersonaApiError(400, 'Bad Request', details, pointer)
}

/** A 422 for an action or value the resource cannot take. */
export function unprocessable(details: string, pointer?: string): PersonaApiError {
  return new PersonaApiError(422, 'Unprocessable entity', details, pointer)
}

/** A 409 for duplicates and invalid state transitions. */
export function conflict(details: string): PersonaApiError {
  return new PersonaApiError(409, 'Conflict', details)
}

/** Builds an error document `{errors: [...]}`. */
export function errorDocument(title: string, details?: string): { errors: PersonaErrorObject[] } {
  return { errors: [details === undefined ? { title } : { title, details }] }
}

/**
 * Keys Persona never inflects: the `fields` map of accounts (always) and of every other resource since
 * 2025-10-27. Event payloads are full documents, so the rule applies to `payload.data` too.
 */
export function fieldsPreservation(apiVersion: string): PreserveKeysPredicate {
  const modern = usesModernShape(apiVersion)
  return (path, ancestors) => {
    const length = path.length
    if (length < 2 || path[length - 1] !== 'fields' || path[length - 2] !== 'attributes') return false
    const resource = ancestors[ancestors.length - 3] as { type?: unknown } | undefined
    if (resource?.type === 'account') return true
    return modern
  }
}

/** Inflects a kebab-case document for output per `Key-Inflection` and API version. */
export function renderDocument(
  document: unknown,
  inflection: PersonaKeyInflection,
  apiVersion: string,
): unknown {
  return inflectKeys(document, inflection, fieldsPreservation(apiVersion))
}

/** Sends a Persona document with the request's inflection applied. */
export function sendDocument(
  c: Context<PersonaEnv>,
  status: ContentfulStatusCode,
  document: PersonaDocument,
) {
  const info = c.get('persona')
  return c.json(renderDocument(document, info.inflection, info.apiVersion) as object, status)
}

/** Sends a Persona error body. Error bodies are never inflected (their keys are single words). */
export function sendErrors(c: Context, status: ContentfulStatusCode, errors: PersonaErrorObject[]) {
  return c.json({ errors }, status)
}

/** An incoming JSON:API request document after key normalization to kebab-case. */
export type IncomingDocument = {
  data?: {
    type?: string
    id?: string
    attributes?: Record<string, unknown>
    relationships?: Record<string, unknown>
  }
  meta?: Record<string, unknown>
}

/** Options of {@link readDocument}. */
export type ReadDocumentOptions = {
  /** Keep `data.attributes.fields` keys as sent (account fields are snake_case and never inflected). */
  preserveFieldKeys?: boolean
}

const preserveAttributeFields: PreserveKeysPredicate = (path) =>
  path.length === 3 && path[0] === 'data' && path[1] === 'attributes' && path[2] === 'fields'

/**
 * Reads the request body as a Persona document with every key normalized to kebab-case (clients may send
 * any casing). An empty body reads as `{}`; malformed JSON is a 400.
 */
export async function readDocument(
  c: Context<PersonaEnv>,
  options: ReadDocumentOptions = {},
): Promise<IncomingDocument> {
  const text = await c.req.text()
  if (text.trim() === '') return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw badRequest('Request body is not valid JSON')
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw badRequest('Request body must be a JSON object')
  }
  return normalizeKeys(
    parsed,
    options.preserveFieldKeys ? preserveAttributeFields : undefined,
  ) as IncomingDocument
}

/** Query parameters with keys inside brackets normalized to kebab-case (`filter[referenceId]` → `filter[reference-id]`). */
export function readQuery(c: Context): Map<string, string> {
  const result = new Map<string, string>()
  const url = new URL(c.req.url)
  for (const [key, value] of url.searchParams) {
    const normalized = key.replace(/\[([^\]]+)\]/g, (_match, inner: string) => `[${normalizeBracket(inner)}]`)
    result.set(normalized, value)
  }
  return result
}

/** Normalizes each segment of a bracketed name (`verification/governmentId` → `verification/government-id`). */
function normalizeBracket(inner: string): string {
  return inner
    .split(/([./])/)
    .map((segment) => (segment === '.' || segment === '/' ? segment : toKebabCase(segment)))
    .join('')
}

/** Reads a comma list filter, e.g. `filter[status]=completed,approved`. */
export function readListFilter(query: Map<string, string>, name: string): string[] | undefined {
  const value = query.get(`filter[${name}]`)
  if (value === undefined) return undefined
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
}

/** The default renderer: attributes copied, relationships wrapped in `{data}`. */
export function defaultPresenter(resource: StoredResource): ResourceObject {
  const relationships: Record<string, { data: RelationshipData }> = {}
  for (const [name, data] of Object.entries(resource.relationships)) relationships[name] = { data }
  return {
    type: resource.type,
    id: resource.id,
    attributes: structuredClone(resource.attributes),
    relationships,
  }
}

/**
 * Parses `?include=a,b`: `undefined` when absent (use the version's default), `[]` when empty (none).
 * Persona rejects `include` on list endpoints; callers pass `allowed: false` there.
 */
export function readInclude(c: Context): string[] | undefined {
  const raw = new URL(c.req.url).searchParams.get('include')
  if (raw === null) return undefined
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
    .map((item) => item.split('.').map(toKebabCase).join('.'))
}

/** Collects the resources named by relationship paths (one nesting level, `a.b`), deduplicated. */
export function collectIncluded(
  context: PersonaRouteContext,
  roots: StoredResource[],
  includePaths: readonly string[],
): StoredResource[] {
  const seen = new Set<string>(roots.map((root) => root.id))
  const included: StoredResource[] = []
  const follow = (resource: StoredResource, name: string): StoredResource[] => {
    const data = resource.relationships[name]
    if (data === undefined || data === null) return []
    const identifiers: ResourceIdentifier[] = Array.isArray(data) ? data : [data]
    return identifiers
      .map((identifier) => context.state.find(identifier.id))
      .filter((found): found is StoredResource => found !== undefined)
  }
  for (const path of includePaths) {
    const [first, second] = path.split('.')
    if (first === undefined) continue
    for (const root of roots) {
      for (const related of follow(root, first)) {
        const targets = second === undefined ? [related] : [related, ...follow(related, second)]
        for (const target of targets) {
          if (seen.has(target.id)) continue
          seen.add(target.id)
          included.push(target)
        }
      }
    }
  }
  return included
}

/**
 * Applies `fields[TYPE]=a,b` sparse fieldsets to a resource object. A parent type (`fields[verification]`)
 * also covers its subtypes (`verification/selfie`), and `fields.name-first` keeps one key of `fields`.
 */
export function applySparseFieldsets(resource: ResourceObject, query: Map<string, string>): ResourceObject {
  const baseType = resource.type.split('/')[0] ?? resource.type
  const list = query.get(`fields[${resource.type}]`) ?? query.get(`fields[${baseType}]`)
  if (list === undefined) return resource
  const wanted = list
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
  const attributes: Record<string, unknown> = {}
  for (const name of wanted) {
    const [head, ...rest] = name.split('.')
    if (head === undefined) continue
    const key = toKebabCase(head)
    if (rest.length === 0) {
      if (key in resource.attributes) attributes[key] = resource.attributes[key]
      continue
    }
    const container = resource.attributes[key]
    if (container === null || typeof container !== 'object') continue
    const childKey = rest.join('.')
    const source = container as Record<string, unknown>
    const match = Object.keys(source).find(
      (candidate) => candidate === childKey || toKebabCase(candidate) === toKebabCase(childKey),
    )
    if (match === undefined) continue
    const target = (attributes[key] ?? {}) as Record<string, unknown>
    target[match] = source[match]
    attributes[key] = target
  }
  return { ...resource, attributes }
}

/** Options of {@link sendResource}. */
export type SendResourceOptions = {
  status?: ContentfulStatusCode
  meta?: Record<string, unknown>
}

/**
 * Sends one resource with `include` (explicit, or the presenter's legacy default before 2025-10-27) and
 * sparse fieldsets applied. The standard answer of retrieve, create, update and action endpoints.
 */
export function sendResource(
  c: Context<PersonaEnv>,
  context: PersonaRouteContext,
  resource: StoredResource,
  options: SendResourceOptions = {},
  legacyDefaultIncludes: readonly string[] = [],
) {
  const info = c.get('persona')
  const view: PresentView = { apiVersion: info.apiVersion }
  const query = readQuery(c)
  const requested = readInclude(c)
  const includePaths = requested ?? (usesModernShape(info.apiVersion) ? [] : legacyDefaultIncludes)
  const document: PersonaDocument = { data: applySparseFieldsets(context.present(resource, view), query) }
  if (includePaths.length > 0) {
    document.included = collectIncluded(context, [resource], includePaths).map((related) =>
      applySparseFieldsets(context.present(related, view), query),
    )
  }
  if (options.meta !== undefined) document.meta = options.meta
  return sendDocument(c, options.status ?? 200, document)
}

/** Default and maximum `page[size]`. */
export const defaultPageSize = 10
const maximumPageSize = 100

/** A page of a list plus Persona's relative `links`. */
export type Page = { items: StoredResource[]; links: { prev: string | null; next: string | null } }

/**
 * Cursor pagination over a newest-first list: `page[after]=<id>` continues after that object,
 * `page[before]=<id>` returns the objects just before it, `page[size]` is 1..100 (default 10). Links are
 * relative (`/api/v1/…?page%5Bafter%5D=<last id>`) and keep the other query parameters; `null` at the ends.
 */
export function paginate(c: Context, resources: StoredResource[]): Page {
  const url = new URL(c.req.url)
  const query = readQuery(c)
  const sizeText = query.get('page[size]')
  let size = defaultPageSize
  if (sizeText !== undefined) {
    const parsed = Number(sizeText)
    if (!Number.isInteger(parsed) || parsed < 1 || parsed > maximumPageSize) {
      throw badRequest(`page[size] must be an integer between 1 and ${maximumPageSize}`, undefined)
    }
    size = parsed
  }
  const after = query.get('page[after]')
  const before = query.get('page[before]')
  let start = 0
  let end = Math.min(size, resources.length)
  if (after !== undefined && after !== '') {
    const index = resources.findIndex((resource) => resource.id === after)
    start = index === -1 ? resources.length : index + 1
    end = Math.min(start + size, resources.length)
  } else if (before !== undefined && before !== '') {
    const index = resources.findIndex((resource) => resource.id === before)
    end = index === -1 ? 0 : index
    start = Math.max(0, end - size)
  }
  const items = resources.slice(start, end)
  const link = (cursorName: 'after' | 'before', id: string): string => {
    const parameters = new URLSearchParams()
    for (const [key, value] of url.searchParams) {
      if (key === 'page[after]' || key === 'page[before]') continue
      parameters.append(key, value)
    }
    parameters.append(`page[${cursorName}]`, id)
    return `${url.pathname}?${parameters.toString()}`
  }
  const first = items[0]
  const last = items[items.length - 1]
  return {
    items,
    links: {
      prev: start > 0 && first !== undefined ? link('before', first.id) : null,
      next: end < resources.length && last !== undefined ? link('after', last.id) : null,
    },
  }
}

/**
 * Sends a list response: one page of `resources` (already filtered, newest first) with `links`. `include`
 * is not supported on list endpoints, as documented; sparse fieldsets are.
 */
export function sendList(c: Context<PersonaEnv>, context: PersonaRouteContext, resources: StoredResource[]) {
  const info = c.get('persona')
  const query = readQuery(c)
  const page = paginate(c, resources)
  const view: PresentView = { apiVersion: info.apiVersion }
  return sendDocument(c, 200, {
    data: page.items.map((resource) => applySparseFieldsets(context.present(resource, view), query)),
    links: page.links,
  })
}
