import {
  KycConfigurationError,
  KycInvalidProviderResponseError,
  KycWebhookVerificationError,
  verifyBodySignature,
} from '@openkyc/core'
import { type OnfidoWebhookEnvelope, OnfidoWebhookEnvelopeSchema } from './onfido-schemas.js'
import { onfidoProvider } from './onfido-settings.js'

/** Options for {@link verifyOnfidoWebhook}. */
export type VerifyOnfidoWebhookOptions = {
  headers: Headers
  rawBody: Uint8Array | string
  /** Every webhook token currently valid (several while one is being replaced). */
  tokens: readonly string[]
}

const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * Verifies an Onfido webhook delivery and parses its envelope.
 *
 * Onfido signs the raw body only: `X-SHA2-Signature` is hex(HMAC-SHA256(webhook token, raw body)).
 * There is no timestamp, so there is no replay window: a replayed delivery is genuine, and the
 * pipeline's dedupe (on the derived event id, see `mapOnfidoEvent`) makes it harmless.
 *
 * Rejects with `KycWebhookVerificationError` for a missing, malformed or non-matching signature,
 * `KycInvalidProviderResponseError` for a genuine body that is not an envelope, and
 * `KycConfigurationError` when no token is configured. Messages never hold the signature, a token
 * or the body.
 *
 * @see https://documentation.onfido.com/api/latest/#webhooks
 * @example
 * ```ts
 * const envelope = await verifyOnfidoWebhook({ headers, rawBody, tokens: [env.ONFIDO_WEBHOOK_TOKEN] })
 * envelope.payload.action // 'workflow_run.completed'
 * ```
 */
export async function verifyOnfidoWebhook(
  options: VerifyOnfidoWebhookOptions,
): Promise<OnfidoWebhookEnvelope> {
  const tokens = options.tokens.filter((token) => token.length > 0)
  if (tokens.length === 0) {
    throw new KycConfigurationError({
      provider: onfidoProvider,
      message:
        'Onfido webhooks cannot be verified without a token: pass { webhookTokens } or set ONFIDO_WEBHOOK_TOKENS (or ONFIDO_WEBHOOK_TOKEN).',
    })
  }
  try {
    // Core's body-HMAC verifier: one hex digest of exactly 64 digits or refused unread, then one
    // HMAC per configured token, compared in constant time.
    await verifyBodySignature({
      header: options.headers.get('x-sha2-signature'),
      rawBody: options.rawBody,
      secrets: tokens,
      encoding: 'hex',
    })
  } catch (error) {
    if (error instanceof KycWebhookVerificationError) {
      throw new KycWebhookVerificationError({
        provider: onfidoProvider,
        message: error.message,
        cause: error,
      })
    }
    throw error
  }
  let document: unknown
  try {
    document = JSON.parse(
      typeof options.rawBody === 'string' ? options.rawBody : decoder.decode(options.rawBody),
    )
  } catch {
    throw new KycInvalidProviderResponseError({
      provider: onfidoProvider,
      message: 'A signed Onfido webhook body is not valid JSON.',
    })
  }
  const parsed = OnfidoWebhookEnvelopeSchema.safeParse(document)
  if (!parsed.success) {
    throw new KycInvalidProviderResponseError({
      provider: onfidoProvider,
      message: 'A signed Onfido webhook body is not an Onfido event envelope.',
    })
  }
  return parsed.data
}
