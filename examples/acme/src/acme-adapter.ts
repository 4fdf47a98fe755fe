import {
  type KycAdapter,
  KycConfigurationError,
  type KycEvent,
  KycInvalidProviderResponseError,
  KycInvalidRequestError,
  type KycLogger,
  KycUnsupportedCapabilityError,
  signBody,
  verifyBodySignature,
} from '@openkyc/core'
import { createHttpClient, type HttpFetch, type Sleep } from '@openkyc/core/http'
import { z } from 'zod'
import { AcmeCheckSchema, AcmeDecisionSchema, AcmeEventSchema } from './acme-schemas.js'
import { mapAcmeEventType, toVerification } from './map-acme-check.js'

/** Settings for {@link createAcme}. */
export type AcmeSettings = {
  /** From the Acme dashboard. Sent as a bearer token; never logged. */
  apiKey: string
  /** Signs Acme's webhooks. */
  webhookSecret: string
  /**
   * The Acme plan of the account (default `verify`). On `lite` Acme reports no per-check results (the
   * adapter derives them from the decision), the decision is read from a second endpoint, and requests
   * and responses are signed with the shared secret (`webhookSecret`).
   */
  plan?: 'verify' | 'lite'
  /** Default `https://api.acme-verify.test/`. */
  baseUrl?: string
  /** Where requests go: a simulator's `fetch` in tests. */
  fetch?: HttpFetch
  /** The clock for retries. */
  now?: () => number
  /** How retries wait. */
  sleep?: Sleep
  logger?: KycLogger
}

const SettingsSchema = z.object({
  apiKey: z.string().min(1),
  webhookSecret: z.string().min(1),
  baseUrl: z.url().optional(),
  plan: z.enum(['verify', 'lite']).default('verify'),
})

/**
 * Lite signs both ways with the shared secret: each attempt gets a fresh `Acme-Request-Signature`
 * over its body bytes (its path without one), and each answered body must carry a valid
 * `Acme-Response-Signature`, or it is refused as an invalid provider response.
 */
function liteSigning(secret: string) {
  const sign = (rawBody: string | Uint8Array) => signBody({ rawBody, secret, encoding: 'hex' })
  return {
    sign: ({ url, body }: { url: string; body: Uint8Array | undefined }) => ({
      'acme-request-signature': sign(body ?? new URL(url).pathname),
    }),
    onResponse: async ({ status, headers, body }: { status: number; headers: Headers; body: Uint8Array }) => {
      // Only Acme's own answers are signed; a failure status keeps its usual error.
      if (status < 200 || status >= 300 || status === 204) return
      try {
        await verifyBodySignature({
          header: headers.get('acme-response-signature'),
          rawBody: body,
          secrets: [secret],
          encoding: 'hex',
        })
      } catch (cause) {
        throw new KycInvalidProviderResponseError({
          provider: 'acme',
          message: 'The Acme response is not signed with the shared secret.',
          cause,
        })
      }
    },
  }
}

/**
 * The Acme Verify adapter: the reference for writing an OpenKYC adapter. One HTTP client from
 * `@openkyc/core/http` (retries, errors, redacted logs), one mapping module, body-signed webhooks
 * checked with core's `verifyBodySignature`.
 *
 * @example
 * ```ts
 * const acme = createAcme({ apiKey: process.env.ACME_API_KEY!, webhookSecret: process.env.ACME_WEBHOOK_SECRET! })
 * const { verification } = await acme.createVerification({ subjectReference: user.id })
 * redirect(verification.session!.url!)
 * ```
 */
export function createAcme(settings: AcmeSettings): KycAdapter {
  const parsed = SettingsSchema.safeParse(settings)
  if (!parsed.success) {
    const names = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')
    throw new KycConfigurationError({ provider: 'acme', message: `Invalid Acme settings: ${names}.` })
  }
  const { plan } = parsed.data
  const http = createHttpClient({
    provider: 'acme',
    baseUrl: settings.baseUrl ?? 'https://api.acme-verify.test/',
    headers: { authorization: `Bearer ${settings.apiKey}` },
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
    ...(settings.now ? { now: settings.now } : {}),
    ...(settings.sleep ? { sleep: settings.sleep } : {}),
    ...(settings.logger ? { logger: settings.logger } : {}),
    ...(plan === 'lite' ? liteSigning(settings.webhookSecret) : {}),
  })
  const getCheck = (checkId: string | undefined, signal?: AbortSignal) =>
    http.request({
      path: 'v1/checks/{checkId}',
      pathParams: { checkId: checkId ?? '' },
      schema: AcmeCheckSchema,
      signal,
    })

  return {
    specificationVersion: 'v1',
    provider: 'acme',
    capabilities: {
      upload: false,
      sessionLink: false,
      cancel: true,
      manualReview: false,
      deleteData: true,
      simulate: false,
      lists: false,
      cases: false,
    },

    async createVerification({ subjectReference, channel, prefill, country, redirectUrl, signal }) {
      if (channel === 'api')
        throw new KycUnsupportedCapabilityError({ provider: 'acme', capability: 'upload' })
      const check = await http.request({
        method: 'POST',
        path: 'v1/checks',
        json: {
          reference: subjectReference,
          country,
          redirect_url: redirectUrl,
          applicant: prefill && {
            first_name: prefill.firstName,
            last_name: prefill.lastName,
            date_of_birth: prefill.dateOfBirth,
          },
        },
        schema: AcmeCheckSchema,
        signal,
      })
      return { verification: { ...toVerification(check, plan), subjectReference } }
    },

    async getVerification({ reference, signal }) {
      const check = await getCheck(reference.checkId, signal)
      if (plan === 'verify') return toVerification(check)
      // Lite: the decision lives on its own endpoint, so a read is two requests.
      const { result } = await http.request({
        path: 'v1/checks/{checkId}/decision',
        pathParams: { checkId: reference.checkId ?? '' },
        schema: AcmeDecisionSchema,
        signal,
      })
      return toVerification({ ...check, result }, plan)
    },

    async cancelVerification({ reference, signal }) {
      const check = await http.request({
        method: 'POST',
        path: 'v1/checks/{checkId}/cancel',
        pathParams: { checkId: reference.checkId ?? '' },
        schema: AcmeCheckSchema,
        signal,
      })
      return toVerification(check, plan)
    },

    async deleteVerificationData({ reference, signal }) {
      await http.request({
        method: 'DELETE',
        path: 'v1/checks/{checkId}/data',
        pathParams: { checkId: reference.checkId ?? '' },
        responseType: 'none',
        signal,
      })
    },

    async parseWebhook({ headers, rawBody }) {
      // Acme signs the raw body only (hex HMAC-SHA256): no timestamp, so a replayed delivery is
      // genuine and the pipeline's dedupe absorbs it by the event id below.
      await verifyBodySignature({
        header: headers.get('acme-signature'),
        rawBody,
        secrets: [settings.webhookSecret],
        encoding: 'hex',
      })
      const text = typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody)
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        json = undefined
      }
      const event = AcmeEventSchema.safeParse(json)
      if (!event.success) {
        throw new KycInvalidRequestError({
          provider: 'acme',
          message: 'The Acme webhook body is not an Acme event.',
          issues: event.error.issues,
        })
      }
      const type = mapAcmeEventType(event.data.type)
      if (type === undefined) return []
      const { identity, session, ...verification } = toVerification(event.data.data.check, plan)
      const kycEvent: KycEvent = {
        // Lite events carry no id: build one from what identifies the event in the signed body (the
        // check, the event type, Acme's own event time), never from the delivery, so a redelivery or
        // a replay gets the same id and dedupe absorbs it.
        id: event.data.id ?? `${event.data.data.check.id}:${event.data.type}:${event.data.created_at}`,
        provider: 'acme',
        type,
        occurredAt: event.data.created_at,
        verification,
        raw: { type: event.data.type, checkId: event.data.data.check.id },
      }
      return [kycEvent]
    },
  }
}
