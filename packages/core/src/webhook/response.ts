import { isKycError } from '../errors.js'
import type { WebhookOutcome } from './pipeline.js'

function json(status: number, body: Record<string, unknown>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  })
}

/**
 * Maps a pipeline outcome, or the error it threw, to the HTTP answer providers expect: `200` for a
 * processed delivery (duplicates included, so the provider stops retrying), `401` for a delivery that
 * failed verification, `400` for an unreadable or oversized one, `503` for a retryable failure (the
 * provider retries later) and `500` otherwise. Bodies carry counts or an error code, never details.
 *
 * @example
 * ```ts
 * app.post('/webhooks/kyc', async (c) => {
 *   try {
 *     return toWebhookResponse(await kyc.webhooks.handle(c.req.raw))
 *   } catch (error) {
 *     return toWebhookResponse(error)
 *   }
 * })
 * ```
 */
export function toWebhookResponse(result: WebhookOutcome | unknown): Response {
  if (isWebhookOutcome(result)) {
    return json(200, { received: result.events.length, duplicates: result.duplicates.length })
  }
  if (!isKycError(result)) return json(500, { error: 'internal' })
  if (result.code === 'webhook_verification') return json(401, { error: result.code })
  if (result.code === 'invalid_request') return json(400, { error: result.code })
  return json(result.retryable ? 503 : 500, { error: result.code })
}

function isWebhookOutcome(value: unknown): value is WebhookOutcome {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as WebhookOutcome).events) &&
    Array.isArray((value as WebhookOutcome).duplicates)
  )
}
