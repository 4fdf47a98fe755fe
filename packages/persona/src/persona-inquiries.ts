import { KycInvalidProviderResponseError } from '@openkyc/core'
import type { HttpClient } from '@openkyc/core/http'
import { personaProvider } from './map-persona-inquiry.js'
import { personaId } from './persona-ids.js'
import { type PersonaInquiryDocument, PersonaInquiryDocumentSchema } from './persona-schemas.js'

/**
 * What every inquiry read asks Persona to include: the verifications (checks, extracted data), the
 * screening reports (watchlist matches) and the account (its reference id). Sent explicitly because
 * API versions from 2025-10-27 on include nothing by default.
 *
 * @see https://docs.withpersona.com/docs/serialization#inclusion-of-related-resources
 */
export const inquiryInclude = 'verifications,reports,account'

/** Options naming one inquiry. */
export type InquiryCallOptions = { inquiryId: string; signal?: AbortSignal }

/** A one-time link to the hosted flow. Holds a secret: never log it. */
export type PersonaOneTimeLink = {
  url: string
  /** Persona's short form, when it sent one. */
  shortUrl?: string
  /** When the link expires, if we asked for a lifetime (Persona does not return it). */
  expiresAt?: string
  /** The inquiry as it is after the link was generated. */
  inquiry: PersonaInquiryDocument
}

/** The inquiry endpoints the adapter uses, each returning the inquiry document. */
export type PersonaInquiryEndpoints = ReturnType<typeof createPersonaInquiryEndpoints>

/** The simulate actions Persona's sandbox accepts. @see https://docs.withpersona.com/docs/integration-testing */
export type PersonaSimulateAction =
  | {
      type:
        | 'start_inquiry'
        | 'complete_inquiry'
        | 'fail_inquiry'
        | 'expire_inquiry'
        | 'mark_for_review_inquiry'
        | 'approve_inquiry'
        | 'decline_inquiry'
    }
  | {
      type: 'create_passed_verification' | 'create_failed_verification'
      data: { 'verification-template-id': string }
    }

/**
 * Thin, typed calls to Persona's inquiry endpoints. Bodies follow the official OpenAPI schemas
 * exactly (no extra keys: most request objects there are `additionalProperties: false`).
 *
 * @see https://docs.withpersona.com/reference/inquiries
 */
export function createPersonaInquiryEndpoints(http: HttpClient, now: () => number) {
  const inquiryPath = 'inquiries/{inquiryId}'
  const action = (path: string, options: InquiryCallOptions, json: unknown) =>
    http.request({
      method: 'POST',
      path: `${inquiryPath}/${path}`,
      pathParams: { inquiryId: personaId(options.inquiryId, 'inquiryId') },
      searchParams: { include: inquiryInclude },
      json,
      schema: PersonaInquiryDocumentSchema,
      ...(options.signal ? { signal: options.signal } : {}),
    })

  return {
    /** `POST /inquiries`. @see https://docs.withpersona.com/reference/create-an-inquiry */
    create(options: { body: unknown; idempotencyKey?: string; signal?: AbortSignal }) {
      return http.request({
        method: 'POST',
        path: 'inquiries',
        json: options.body,
        ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
        schema: PersonaInquiryDocumentSchema,
        ...(options.signal ? { signal: options.signal } : {}),
      })
    },

    /** `GET /inquiries/{id}` with verifications, reports and account included. */
    get(options: InquiryCallOptions) {
      return http.request({
        path: inquiryPath,
        pathParams: { inquiryId: personaId(options.inquiryId, 'inquiryId') },
        searchParams: { include: inquiryInclude },
        schema: PersonaInquiryDocumentSchema,
        ...(options.signal ? { signal: options.signal } : {}),
      })
    },

    /**
     * `POST /inquiries/{id}/generate-one-time-link`: a single-use link to the hosted flow (a new
     * inquiry session each time). @see https://docs.withpersona.com/reference/generate-a-one-time-link
     */
    async generateOneTimeLink(
      options: InquiryCallOptions & { expiresInSeconds?: number },
    ): Promise<PersonaOneTimeLink> {
      const requestedAt = now()
      const document = await action(
        'generate-one-time-link',
        options,
        options.expiresInSeconds === undefined
          ? {}
          : { meta: { 'expires-in-seconds': options.expiresInSeconds } },
      )
      const url = document.meta?.['one-time-link']
      if (!url) throw missingMeta('one-time-link')
      const shortUrl = document.meta?.['one-time-link-short']
      return {
        url,
        ...(shortUrl ? { shortUrl } : {}),
        ...(options.expiresInSeconds === undefined
          ? {}
          : { expiresAt: new Date(requestedAt + options.expiresInSeconds * 1000).toISOString() }),
        inquiry: document,
      }
    },

    /**
     * `POST /inquiries/{id}/resume`: a session token for the embedded flow and SDKs (and `expired`
     * back to `pending`). @see https://docs.withpersona.com/reference/resume-an-inquiry
     */
    async resume(
      options: InquiryCallOptions,
    ): Promise<{ sessionToken: string; inquiry: PersonaInquiryDocument }> {
      const document = await action('resume', options, {})
      const sessionToken = document.meta?.['session-token']
      if (!sessionToken) throw missingMeta('session-token')
      return { sessionToken, inquiry: document }
    },

    /** `POST /inquiries/{id}/add-tag`. @see https://docs.withpersona.com/reference/inquiries-add-tag */
    addTag: (options: InquiryCallOptions & { tagName: string }) =>
      action('add-tag', options, { meta: { 'tag-name': options.tagName } }),

    /** `POST /inquiries/{id}/expire`. @see https://docs.withpersona.com/reference/expire-an-inquiry */
    expire: (options: InquiryCallOptions) => action('expire', options, {}),

    /** `POST /inquiries/{id}/approve|decline|mark-for-review` with an optional audit comment. */
    review(
      options: InquiryCallOptions & { action: 'approve' | 'decline' | 'mark-for-review'; comment?: string },
    ) {
      return action(
        options.action,
        options,
        options.comment === undefined ? {} : { meta: { comment: options.comment } },
      )
    },

    /** `DELETE /inquiries/{id}`: redacts the inquiry's personal data, irreversibly. */
    redact(options: InquiryCallOptions) {
      return http.request({
        method: 'DELETE',
        path: inquiryPath,
        pathParams: { inquiryId: personaId(options.inquiryId, 'inquiryId') },
        responseType: 'none',
        ...(options.signal ? { signal: options.signal } : {}),
      })
    },

    /** `POST /inquiries/{id}/perform-simulate-actions` (sandbox only). */
    simulate: (options: InquiryCallOptions & { actions: readonly PersonaSimulateAction[] }) =>
      action('perform-simulate-actions', options, { meta: { 'simulate-actions': options.actions } }),
  }
}

function missingMeta(key: string): KycInvalidProviderResponseError {
  return new KycInvalidProviderResponseError({
    provider: personaProvider,
    message: `The persona response has no meta.${key}.`,
  })
}
