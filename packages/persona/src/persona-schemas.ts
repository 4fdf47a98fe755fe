import { lazy, lazySchema, resolveSchema } from '@openkyc/core'
import { z } from '@openkyc/core/zod'

/*
 * Lenient schemas for what Persona sends us. They list only the fields the adapter reads, accept
 * `null` or absence everywhere (`.nullish()`), keep every enum an open string (Persona: "do not
 * assume this is a static enumeration") and tolerate unknown keys, so API drift never breaks a
 * read. Envelopes let unknown keys through (`z.looseObject`); the large, repeated parts that every
 * webhook carries (inquiry attributes and fields, verification attributes) drop them instead
 * (`z.object`), because copying dozens of unread keys was a large share of webhook ingest, and a
 * dropped key (extracted data we do not read) is one less place personal data could travel. Checks,
 * the most numerous part, are checked by a type guard in place (see `PersonaChecksSchema`). Webhook
 * events read narrower schemas still (no identity data). They stay private: the package exports
 * types, not schemas. Every schema is built on its first use (`lazySchema`, `lazy` from core), so
 * importing the adapter builds none of them (a cold start's cost).
 *
 * @see https://docs.withpersona.com/reference/response-body (JSON:API documents)
 */

const text = lazy(() => z.string().nullish())
const timestamp = lazy(() => z.string().nullish())

/** `{ type, id, … }`: a JSON:API resource identifier, or a resource read later by its `type`. */
type Resource = { type: string; id: string; [key: string]: unknown }

function isResource(value: unknown): value is Resource {
  if (typeof value !== 'object' || value === null) return false
  const { type, id } = value as Record<string, unknown>
  return typeof type === 'string' && typeof id === 'string'
}

/** An object that is not an array: what `z.object` accepts. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `z.string().nullish()`. */
function isOptionalText(value: unknown): boolean {
  return value === undefined || value === null || typeof value === 'string'
}

/** `z.string().nullable()`. */
function isNullableText(value: unknown): boolean {
  return value === null || typeof value === 'string'
}

/** `z.string().min(1)`. */
function isNonEmptyText(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0
}

/** A list of resources, or nothing. */
function isOptionalResourceList(value: unknown): boolean {
  return value === undefined || value === null || (Array.isArray(value) && value.every(isResource))
}

/** {@link ToOneSchema}, checked in place. */
function isToOne(value: unknown): boolean {
  if (value === undefined || value === null) return true
  if (!isPlainObject(value)) return false
  const data = value.data
  return data === undefined || data === null || isResource(data) || isPlainObject(data)
}

/** {@link ToManySchema}, checked in place. */
function isToMany(value: unknown): boolean {
  if (value === undefined || value === null) return true
  return isPlainObject(value) && isOptionalResourceList(value.data)
}

/**
 * A resource identifier, or a resource whose other members a narrower schema reads later: `type`
 * and `id` checked in place by a type guard, the object passed on as it is (what `z.looseObject`
 * gave, without copying every member of every resource on every webhook event).
 */
const ResourceIdentifierSchema = lazy(() =>
  z.custom<Resource>(isResource, { message: 'Expected a resource' }),
)

/** A list of {@link ResourceIdentifierSchema} members, checked in one pass. */
const ResourceListSchema = lazy(() =>
  z.custom<Resource[]>((value) => Array.isArray(value) && value.every(isResource), {
    message: 'Expected a list of resources',
  }),
)

/** A to-one relationship: `{ data: { type, id } | null | {} }` (Persona sends `{}` for "none" at times). */
const ToOneSchema = lazy(() =>
  z.looseObject({ data: z.union([ResourceIdentifierSchema(), z.looseObject({})]).nullish() }).nullish(),
)

/** A to-many relationship: `{ data: [{ type, id }] }`. */
const ToManySchema = lazy(() => z.looseObject({ data: ResourceListSchema().nullish() }).nullish())

/**
 * One check inside a verification, as we read it.
 *
 * @see https://docs.withpersona.com/docs/verification-checks
 */
export type PersonaCheck = {
  name: string
  status?: string | null | undefined
  reasons?: (string | null)[] | null | undefined
  requirement?: string | null | undefined
}

/** Whether `value` is a check we can read: a `name`, and text or nothing for the rest. */
function isPersonaCheck(value: unknown): value is PersonaCheck {
  if (typeof value !== 'object' || value === null) return false
  const { name, status, requirement, reasons } = value as Record<string, unknown>
  if (typeof name !== 'string' || !isOptionalText(status) || !isOptionalText(requirement)) return false
  if (reasons === undefined || reasons === null) return true
  return Array.isArray(reasons) && reasons.every((reason) => reason === null || typeof reason === 'string')
}

/**
 * A verification's checks (about fifteen per verification, fifty per inquiry event): checked in one
 * pass by a type guard rather than a zod object per check, which cost two allocations per field per
 * check on every webhook event. The checks are not copied: the mapping reads the four fields above
 * and builds its own objects, so nothing else a check holds (`metadata`) travels further.
 */
const PersonaChecksSchema = lazy(() =>
  z.custom<PersonaCheck[]>((value) => Array.isArray(value) && value.every(isPersonaCheck), {
    message: 'Expected a list of checks',
  }),
)

/** A photo entry of a government-id verification (`photo-urls[]`); we read the page only. */
const PhotoUrlSchema = lazy(() => z.object({ page: text() }))

/**
 * The verification attributes every reading needs: status, checks, and what the submitted evidence
 * was (document class, country, which pages). Webhook events read only these: they carry no identity.
 */
const verificationEvidenceAttributes = () => ({
  status: text(),
  'country-code': text(),
  checks: PersonaChecksSchema().nullish(),
  'id-class': text(),
  'front-photo-url': text(),
  'back-photo-url': text(),
  'photo-urls': z.array(PhotoUrlSchema()).nullish(),
})

/** The rest of a verification: timestamps and the government-id extraction (identity data). */
const verificationDetailAttributes = () => ({
  'created-at': timestamp(),
  'submitted-at': timestamp(),
  'completed-at': timestamp(),
  'redacted-at': timestamp(),
  'name-first': text(),
  'name-middle': text(),
  'name-last': text(),
  birthdate: text(),
  sex: text(),
  nationality: text(),
  'identification-number': text(),
  'document-number': text(),
  'issue-date': text(),
  'expiration-date': text(),
  'address-street-1': text(),
  'address-street-2': text(),
  'address-city': text(),
  'address-subdivision': text(),
  'address-postal-code': text(),
  'address-country-code': text(),
  'capture-method': text(),
})

/**
 * A verification of any type (`verification/government-id`, `verification/selfie`, …): the shared
 * attributes plus the government-id extraction attributes, all optional.
 */
export const PersonaVerificationSchema = lazySchema(() =>
  z.looseObject({
    type: z.string(),
    id: z.string(),
    attributes: z
      .object({ ...verificationEvidenceAttributes(), ...verificationDetailAttributes() })
      .nullish(),
  }),
)

/**
 * A verification as a webhook event reads it: the evidence attributes only. Events carry no identity
 * data, so the extraction attributes are neither validated nor read (half the cost of reading an
 * inquiry event was spent on them). The shape {@link isPersonaVerificationEvidence} checks.
 */
export const PersonaVerificationEvidenceShape = lazySchema(() =>
  z.object({
    type: z.string(),
    id: z.string(),
    attributes: z.object(verificationEvidenceAttributes()).nullish(),
  }),
)

/** A verification as a webhook event reads it. */
export type PersonaVerificationEvidence = z.infer<typeof PersonaVerificationEvidenceShape>

const evidenceTextAttributes = ['status', 'country-code', 'id-class', 'front-photo-url', 'back-photo-url']

function isPhotoUrl(value: unknown): boolean {
  return isPlainObject(value) && isOptionalText(value.page)
}

/**
 * Whether an included verification is one a webhook event can read:
 * {@link PersonaVerificationEvidenceShape}, checked in place (several per inquiry event, each with
 * its extraction attributes, which are never read here).
 */
export function isPersonaVerificationEvidence(value: unknown): value is PersonaVerificationEvidence {
  if (!isPlainObject(value) || typeof value.type !== 'string' || typeof value.id !== 'string') return false
  const attributes = value.attributes
  if (attributes === undefined || attributes === null) return true
  if (!isPlainObject(attributes)) return false
  for (const key of evidenceTextAttributes) if (!isOptionalText(attributes[key])) return false
  const checks = attributes.checks
  if (checks !== undefined && checks !== null && !(Array.isArray(checks) && checks.every(isPersonaCheck))) {
    return false
  }
  const photos = attributes['photo-urls']
  return photos === undefined || photos === null || (Array.isArray(photos) && photos.every(isPhotoUrl))
}

/** A Persona verification, as we read it. */
export type PersonaVerification = z.infer<typeof PersonaVerificationSchema>

/** A report (`report/watchlist`, …): whether it matched is all we read. */
export const PersonaReportSchema = lazySchema(() =>
  z.looseObject({
    type: z.string(),
    id: z.string(),
    attributes: z.looseObject({ status: text(), 'has-match': z.boolean().nullish() }).nullish(),
  }),
)

/** A Persona report, as we read it. */
export type PersonaReport = z.infer<typeof PersonaReportSchema>

/** One inquiry field: `{ type, value }`; the value's shape depends on the field type. */
const FieldSchema = lazy(() => z.object({ type: text(), value: z.unknown() }))

/**
 * The inquiry fields the identity mapping reads (`map-persona-identity.ts`), each under both
 * spellings: kebab-case up to API version 2025-10-27, as configured on the template (usually
 * snake_case) after it. Only these are validated and kept; a template may define many more, and
 * none of them should decide whether a webhook is readable.
 */
export const personaIdentityFieldNames = [
  'name-first',
  'name-middle',
  'name-last',
  'birthdate',
  'identification-number',
  'address-street-1',
  'address-street-2',
  'address-city',
  'address-subdivision',
  'address-postal-code',
  'address-country-code',
] as const

const FieldsSchema = lazy(() =>
  z.object(
    Object.fromEntries(
      personaIdentityFieldNames.flatMap((name) => [
        [name, FieldSchema().nullish()],
        [name.replaceAll('-', '_'), FieldSchema().nullish()],
      ]),
    ) as Record<string, z.ZodOptional<z.ZodNullable<ReturnType<typeof FieldSchema>>>>,
  ),
)

/** The inquiry attributes every reading needs; `fields` (identity data) come on top, below. */
const inquiryAttributes = () => ({
  status: z.string(),
  'reference-id': text(),
  'created-at': timestamp(),
  'updated-at': timestamp(),
  'started-at': timestamp(),
  'completed-at': timestamp(),
  'failed-at': timestamp(),
  'expired-at': timestamp(),
  'expires-at': timestamp(),
  'marked-for-review-at': timestamp(),
  'decisioned-at': timestamp(),
  'redacted-at': timestamp(),
  'reviewer-comment': text(),
  tags: z.array(z.string().nullable()).nullish(),
})

const inquiryRelationships = lazy(() =>
  z
    .object({
      account: ToOneSchema(),
      reviewer: ToOneSchema(),
      verifications: ToManySchema(),
      reports: ToManySchema(),
    })
    .nullish(),
)

/** An inquiry. @see https://docs.withpersona.com/reference/retrieve-an-inquiry */
export const PersonaInquirySchema = lazySchema(() =>
  z.looseObject({
    type: z.literal('inquiry'),
    id: z.string().min(1),
    attributes: z.object({ ...inquiryAttributes(), fields: FieldsSchema().nullish() }),
    relationships: inquiryRelationships(),
  }),
)

/**
 * An inquiry as a webhook event reads it: without `fields`, which only the identity mapping reads
 * and an event does not carry. The shape {@link isPersonaEventInquiry} checks, written as a schema.
 */
export const PersonaEventInquiryShape = lazySchema(() =>
  z.object({
    type: z.literal('inquiry'),
    id: z.string().min(1),
    attributes: z.object(inquiryAttributes()),
    relationships: inquiryRelationships(),
  }),
)

/** An inquiry as a webhook event reads it. */
export type PersonaEventInquiry = z.infer<typeof PersonaEventInquiryShape>

const inquiryTextAttributes = lazy(() =>
  Object.keys(inquiryAttributes()).filter((key) => key !== 'status' && key !== 'tags'),
)

/**
 * Whether a webhook event's inquiry is one we can read: {@link PersonaEventInquiryShape}, checked in
 * place rather than copied (one inquiry per inquiry event). Unknown members stay on the object but
 * are never read: the mapping builds its own objects from the named fields.
 */
export function isPersonaEventInquiry(value: unknown): value is PersonaEventInquiry {
  if (!isPlainObject(value) || value.type !== 'inquiry' || !isNonEmptyText(value.id)) return false
  const attributes = value.attributes
  if (!isPlainObject(attributes) || typeof attributes.status !== 'string') return false
  for (const key of inquiryTextAttributes()) if (!isOptionalText(attributes[key])) return false
  const tags = attributes.tags
  if (tags !== undefined && tags !== null && !(Array.isArray(tags) && tags.every(isNullableText)))
    return false
  const relationships = value.relationships
  if (relationships === undefined || relationships === null) return true
  return (
    isPlainObject(relationships) &&
    isToOne(relationships.account) &&
    isToOne(relationships.reviewer) &&
    isToMany(relationships.verifications) &&
    isToMany(relationships.reports)
  )
}

/** A Persona inquiry, as we read it. */
export type PersonaInquiry = z.infer<typeof PersonaInquirySchema>

/** Anything in `included`: typed loosely, narrowed by `type` when read. */
const IncludedSchema = lazy(() => ResourceListSchema().nullish())

/** An inquiry document: `data` plus `included` and `meta` (session token, one-time links). */
export const PersonaInquiryDocumentSchema = lazySchema(() =>
  z.looseObject({
    data: resolveSchema(PersonaInquirySchema),
    included: IncludedSchema(),
    meta: z
      .looseObject({
        'session-token': text(),
        'one-time-link': text(),
        'one-time-link-short': text(),
      })
      .nullish(),
  }),
)

/** An inquiry document, as we read it. */
export type PersonaInquiryDocument = z.infer<typeof PersonaInquiryDocumentSchema>

/**
 * A webhook delivery: an event whose payload is the object as its API would return it. The shape
 * {@link isPersonaEventDocument} checks, written as a schema (tests hold the two to each other).
 */
export const PersonaEventDocumentShape = lazySchema(() =>
  z.looseObject({
    data: z.looseObject({
      type: z.string(),
      id: z.string().min(1),
      attributes: z.looseObject({
        name: z.string().min(1),
        'created-at': timestamp(),
        payload: z
          .looseObject({
            data: ResourceIdentifierSchema().nullish(),
            included: IncludedSchema(),
          })
          .nullish(),
      }),
    }),
  }),
)

/** A webhook event document, as we read it. */
export type PersonaEventDocument = z.infer<typeof PersonaEventDocumentShape>

/**
 * Whether a parsed webhook body is an event document we can read: {@link PersonaEventDocumentShape},
 * checked in place. Every delivery passes here, and the envelope is all it reads, so nothing is copied.
 */
export function isPersonaEventDocument(value: unknown): value is PersonaEventDocument {
  if (!isPlainObject(value)) return false
  const event = value.data
  if (!isPlainObject(event) || typeof event.type !== 'string' || !isNonEmptyText(event.id)) return false
  const attributes = event.attributes
  if (!isPlainObject(attributes) || !isNonEmptyText(attributes.name)) return false
  if (!isOptionalText(attributes['created-at'])) return false
  const payload = attributes.payload
  if (payload === undefined || payload === null) return true
  return (
    isPlainObject(payload) &&
    (payload.data === undefined || payload.data === null || isResource(payload.data)) &&
    isOptionalResourceList(payload.included)
  )
}

/** {@link PersonaEventDocumentShape} as a schema that checks in place (for callers that want a schema). */
export const PersonaEventDocumentSchema = lazySchema(() =>
  z.custom<PersonaEventDocument>(isPersonaEventDocument, {
    message: 'Expected a Persona event document',
  }),
)

/** A case. @see https://docs.withpersona.com/reference/retrieve-a-case */
export const PersonaCaseSchema = lazySchema(() =>
  z.looseObject({
    type: z.string(),
    id: z.string().min(1),
    attributes: z
      .looseObject({
        status: text(),
        name: text(),
        resolution: text(),
        'assignee-id': text(),
        'created-at': timestamp(),
        'updated-at': timestamp(),
      })
      .nullish(),
    relationships: z
      .looseObject({
        inquiries: ToManySchema(),
        verifications: ToManySchema(),
        accounts: ToManySchema(),
        reports: ToManySchema(),
      })
      .nullish(),
  }),
)

/** A Persona case, as we read it. */
export type PersonaCase = z.infer<typeof PersonaCaseSchema>

/** A list (`list/email-address`, …). @see https://docs.withpersona.com/reference/retrieve-a-list */
export const PersonaListSchema = lazySchema(() =>
  z.looseObject({
    type: z.string(),
    id: z.string().min(1),
    attributes: z
      .looseObject({
        name: text(),
        status: text(),
        'archived-at': timestamp(),
        'created-at': timestamp(),
      })
      .nullish(),
  }),
)

/** A Persona list, as we read it. */
export type PersonaList = z.infer<typeof PersonaListSchema>

/** A list item (`list-item/email-address`, …). */
export const PersonaListItemSchema = lazySchema(() =>
  z.looseObject({
    type: z.string(),
    id: z.string().min(1),
    attributes: z.looseObject({ status: text() }).nullish(),
  }),
)

/** A Persona list item, as we read it. */
export type PersonaListItem = z.infer<typeof PersonaListItemSchema>

/** An importer (`importer/list-item/email-address`, …). @see https://docs.withpersona.com/reference/retrieve-an-importer */
export const PersonaImporterSchema = lazySchema(() =>
  z.looseObject({
    type: z.string(),
    id: z.string().min(1),
    attributes: z
      .looseObject({
        status: text(),
        'successful-count': z.number().nullish(),
        'error-count': z.number().nullish(),
        'duplicate-count': z.number().nullish(),
        'created-at': timestamp(),
        'completed-at': timestamp(),
      })
      .nullish(),
  }),
)

/** A Persona importer, as we read it. */
export type PersonaImporter = z.infer<typeof PersonaImporterSchema>

/** An account. We read ids, the reference id and timestamps only; never its personal data. */
export const PersonaAccountSchema = lazySchema(() =>
  z.looseObject({
    type: z.string(),
    id: z.string().min(1),
    attributes: z
      .looseObject({
        'reference-id': text(),
        'account-type-name': text(),
        tags: z.array(z.string().nullable()).nullish(),
        'created-at': timestamp(),
        'updated-at': timestamp(),
        'redacted-at': timestamp(),
      })
      .nullish(),
  }),
)

/** A Persona account, as we read it. */
export type PersonaAccount = z.infer<typeof PersonaAccountSchema>

/** `{ data: T }`: a single-resource document, built on first use. */
export function singleDocument<T extends z.ZodType>(resource: T) {
  return lazySchema(() => z.looseObject({ data: resolveSchema(resource) }))
}

/** `{ data: T[], links: { next } }`: a list document, built on first use. */
export function listDocument<T extends z.ZodType>(resource: T) {
  return lazySchema(() =>
    z.looseObject({
      data: z.array(resolveSchema(resource)),
      links: z.looseObject({ next: text(), prev: text() }).nullish(),
    }),
  )
}
