import {
  KycConfigurationError,
  KycInvalidProviderResponseError,
  KycWebhookVerificationError,
  verifyTimestampedSignature,
} from '@openkyc/core'
import { personaProvider } from './map-persona-inquiry.js'
import { isPersonaEventDocument, type PersonaEventDocument } from './persona-schemas.js'

/** Options for {@link verifyPersonaWebhook}. */
export type VerifyPersonaWebhookOptions = {
  headers: Headers
  rawBody: Uint8Array | string
  /** Every secret currently valid (several while one is being rotated). */
  secrets: readonly string[]
  /** How far the signed timestamp may be from now, either way. */
  toleranceSeconds: number
  now: () => number
}

/**
 * The `t=…,v1=…` sets of a `Persona-Signature` header. During a secret rotation Persona sends one
 * set per secret, separated by a space (`t=1,v1=aa t=1,v1=bb`); spaces after commas inside one set
 * are tolerated.
 *
 * @see https://docs.withpersona.com/docs/webhooks-best-practices#checking-signatures
 */
export function splitPersonaSignatureHeader(header: string): string[] {
  return header
    .trim()
    .replace(/,\s+/g, ',')
    .split(/\s+/)
    .filter((set) => set.length > 0)
}

const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * Verifies a Persona webhook delivery and parses its event document.
 *
 * The signature is HMAC-SHA256 under the webhook secret over `` `${t}.${rawBody}` ``, hex-encoded,
 * in `Persona-Signature: t=<unix seconds>,v1=<hex>`; the delivery is accepted when any set in the
 * header matches any configured secret (core's `verifyTimestampedSignature`, timing-safe) and `t`
 * lies within the tolerance (Persona names none; 300 s is the common choice), which stops replays.
 *
 * Rejects with `KycWebhookVerificationError` for a missing, malformed, stale or non-matching signature,
 * `KycInvalidProviderResponseError` for a genuine body that is not an event document, and
 * `KycConfigurationError` when no secret is configured.
 * Messages never contain the signature, a secret or the body.
 *
 * @see https://docs.withpersona.com/docs/webhooks-best-practices
 */
export async function verifyPersonaWebhook(
  options: VerifyPersonaWebhookOptions,
): Promise<PersonaEventDocument> {
  if (options.secrets.length === 0) {
    throw new KycConfigurationError({
      provider: personaProvider,
      message:
        'Persona webhooks cannot be verified without a secret: pass { webhookSecrets } or set PERSONA_WEBHOOK_SECRETS (or PERSONA_WEBHOOK_SECRET).',
    })
  }
  // One call with the whole header: core bounds what a forged header may cost (its length, the
  // number of sets and signatures, stale timestamps dropped unhashed, one hash per timestamp and
  // secret). Splitting the sets here first would hash a packed header's body once per set.
  try {
    await verifyTimestampedSignature({
      header: options.headers.get('persona-signature'),
      rawBody: options.rawBody,
      secrets: options.secrets,
      toleranceSeconds: options.toleranceSeconds,
      now: options.now,
    })
  } catch (error) {
    if (error instanceof KycWebhookVerificationError) {
      throw new KycWebhookVerificationError({ provider: personaProvider, message: error.message })
    }
    throw error
  }

  let document: unknown
  try {
    const text = typeof options.rawBody === 'string' ? options.rawBody : decoder.decode(options.rawBody)
    document = JSON.parse(text)
  } catch {
    throw new KycInvalidProviderResponseError({
      provider: personaProvider,
      message: 'A signed Persona webhook body is not valid JSON.',
    })
  }
  if (!isPersonaEventDocument(document)) {
    throw new KycInvalidProviderResponseError({
      provider: personaProvider,
      message: 'A signed Persona webhook body is not an event document.',
    })
  }
  return document
}
