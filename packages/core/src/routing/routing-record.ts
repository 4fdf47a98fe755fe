import { z } from '#zod'
import { lazy, lazySchema, resolveSchema } from '../lazy.js'
import { CountryCodeSchema, DocumentTypeSchema } from '../model/credential.js'

/** A caller-supplied label: letters, digits and `_ . : -`, at most 64 characters. Never personal data. */
export const RoutingLabelSchema = lazySchema(() =>
  z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'expected 1–64 letters, digits or _ . : -'),
)

/**
 * Why a provider was not tried:
 *
 * | reason | meaning |
 * |---|---|
 * | `country_not_covered` | the request's country is outside the provider's configured countries |
 * | `document_type_not_covered` | none of the request's document types is in the provider's configured types |
 * | `country_not_supported` | the adapter declares (`coverage`) that it cannot take the request's country |
 * | `document_type_not_supported` | the adapter declares (`coverage`) that it takes none of the request's document types |
 * | `channel_not_supported` | an API-channel request, and the adapter does not declare `upload` |
 * | `not_reached` | an earlier provider in the list created the verification |
 * | `budget_exhausted` | a shadow run was due, but the shadow budget's rate was spent |
 * | `not_submitted` | a planned shadow run's primary was not submitted within an hour, so its evidence was let go |
 * | `evidence_too_large` | a planned shadow run's evidence exceeded `maxEvidenceBytes` |
 * | `too_many_pending` | a planned shadow run was let go to keep at most `maxPending` waiting |
 * | `process_ended` | a planned shadow run never ran: the process holding its evidence ended (`recordLostShadows`) |
 */
export const RoutingSkipReasonSchema = lazySchema(() =>
  z.enum([
    'country_not_covered',
    'document_type_not_covered',
    'country_not_supported',
    'document_type_not_supported',
    'channel_not_supported',
    'not_reached',
    'budget_exhausted',
    'not_submitted',
    'evidence_too_large',
    'too_many_pending',
    'process_ended',
  ]),
)

/** Why a provider was not tried. See {@link RoutingSkipReasonSchema}. */
export type RoutingSkipReason = z.infer<typeof RoutingSkipReasonSchema>

/**
 * How one attempt at a provider ended:
 *
 * | result | meaning | next provider tried? |
 * |---|---|---|
 * | `created` | the provider created the verification | no: routing is done |
 * | `unavailable` | `KycProviderUnavailableError` (5xx, connection reset) after the HTTP retries | yes |
 * | `timeout` | the provider did not answer in time | yes |
 * | `rate_limited` | `KycRateLimitedError` after the HTTP retries | yes |
 * | `unsupported` | `KycUnsupportedCapabilityError` or `KycOutsideCoverageError` from the adapter | yes |
 * | `failed` | any other error (authentication, invalid request…) | no: the error is the caller's |
 */
export const RoutingAttemptResultSchema = lazySchema(() =>
  z.enum(['created', 'unavailable', 'timeout', 'rate_limited', 'unsupported', 'failed']),
)

/** How one attempt at a provider ended. See {@link RoutingAttemptResultSchema}. */
export type RoutingAttemptResult = z.infer<typeof RoutingAttemptResultSchema>

/** The most document types a routing record holds; a routed create with more is refused before any request. */
export const maxRecordedDocumentTypes = 10

const knownDocumentTypes = lazy(() => new Set<unknown>(DocumentTypeSchema.options))

/** Whether `value` is a known document type (`DocumentTypeSchema`). Internal to core. */
export function isKnownDocumentType(value: unknown): boolean {
  return knownDocumentTypes().has(value)
}

/**
 * Whether the routing record accepts `value` as its `documentTypes`: an array of at most
 * {@link maxRecordedDocumentTypes} known document types. Internal to core.
 */
export function isRecordableDocumentTypes(value: unknown): boolean {
  if (!Array.isArray(value) || value.length > maxRecordedDocumentTypes) return false
  for (let index = 0; index < value.length; index++) if (!isKnownDocumentType(value[index])) return false
  return true
}

/**
 * The routing part of an audit entry (`action: 'routing'`): how the provider was chosen, every
 * attempt with its result and error code, every provider skipped and why. Ids, provider names, rule
 * names, codes and the request's country and document types only: no subject reference, no personal
 * data. `role: 'shadow'` entries record a shadow run and name the primary verification they shadow.
 */
export const RoutingRecordSchema = lazySchema(() => {
  const providerName = z.string().min(1).max(100)
  const label = resolveSchema(RoutingLabelSchema)
  return z.strictObject({
    /** `primary`: the verification returned to the caller; `shadow`: a shadow run, never returned. */
    role: z.enum(['primary', 'shadow']),
    /** How the ordered provider list was made: a rule, the sticky split, the default provider, or the shadow setting. */
    basis: z.enum(['rule', 'split', 'default', 'shadow']),
    /** The rule that matched, when `basis` is `rule`. */
    rule: label.optional(),
    /**
     * The provider that created the verification; absent when none did. On a `planned` shadow entry:
     * the provider the shadow run is planned at.
     */
    chosen: providerName.optional(),
    /** Every attempt, in order. */
    attempts: z
      .array(
        z.strictObject({
          provider: providerName,
          result: resolveSchema(RoutingAttemptResultSchema),
          /** The `KycError` code when the attempt failed (`provider_unavailable`). */
          errorCode: z.string().max(64).optional(),
        }),
      )
      .max(20),
    /** Every provider not tried, and why. */
    skipped: z
      .array(z.strictObject({ provider: providerName, reason: resolveSchema(RoutingSkipReasonSchema) }))
      .max(20),
    /** The request's country hint (ISO 3166-1 alpha-2), for the agreement report. */
    country: resolveSchema(CountryCodeSchema).optional(),
    /** The request's document types, for the agreement report. */
    documentTypes: z.array(resolveSchema(DocumentTypeSchema)).max(maxRecordedDocumentTypes).optional(),
    /** The caller's segment label (`routing.segment`), for the agreement report. */
    segment: label.optional(),
    /** On a shadow entry: the primary verification it shadows. */
    primary: z
      .strictObject({ provider: providerName, verificationId: z.string().min(1).max(200) })
      .optional(),
    /**
     * `planned` on the shadow entry written with the primary's creation, before any evidence exists:
     * every planned run is later followed by an entry saying how it ended (ran, failed, or not run and
     * why), so a run lost with its process is visible (see `recordLostShadows`).
     */
    stage: z.enum(['planned']).optional(),
  })
})

/** The routing part of an audit entry. See {@link RoutingRecordSchema}. */
export type RoutingRecord = z.infer<typeof RoutingRecordSchema>

/**
 * The routing record as canonical JSON (keys sorted at every level), the bytes the audit hash covers:
 * a store that keeps entries as `jsonb` reorders keys, so the order of the object cannot be used.
 * Written in sorted key order by construction (no sort, no copy): a record that passed
 * `RoutingRecordSchema` has exactly these keys, and absent ones are left out.
 *
 * @example
 * ```ts
 * serializeRoutingRecord({ role: 'primary', basis: 'default', attempts: [], skipped: [] })
 * // '{"attempts":[],"basis":"default","role":"primary","skipped":[]}'
 * ```
 */
export function serializeRoutingRecord(record: RoutingRecord): string {
  const text = JSON.stringify
  let json = '{"attempts":['
  for (const [index, attempt] of record.attempts.entries()) {
    if (index > 0) json += ','
    json += attempt.errorCode === undefined ? '{' : `{"errorCode":${text(attempt.errorCode)},`
    json += `"provider":${text(attempt.provider)},"result":${text(attempt.result)}}`
  }
  json += `],"basis":${text(record.basis)}`
  if (record.chosen !== undefined) json += `,"chosen":${text(record.chosen)}`
  if (record.country !== undefined) json += `,"country":${text(record.country)}`
  if (record.documentTypes !== undefined) json += `,"documentTypes":${text(record.documentTypes)}`
  if (record.primary !== undefined) {
    json += `,"primary":{"provider":${text(record.primary.provider)},"verificationId":${text(record.primary.verificationId)}}`
  }
  json += `,"role":${text(record.role)}`
  if (record.rule !== undefined) json += `,"rule":${text(record.rule)}`
  if (record.segment !== undefined) json += `,"segment":${text(record.segment)}`
  json += ',"skipped":['
  for (const [index, skip] of record.skipped.entries()) {
    if (index > 0) json += ','
    json += `{"provider":${text(skip.provider)},"reason":${text(skip.reason)}}`
  }
  json += ']'
  if (record.stage !== undefined) json += `,"stage":${text(record.stage)}`
  return `${json}}`
}
