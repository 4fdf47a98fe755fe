import type { Span } from '@opentelemetry/api'
import type { ProcessedWebhookEvent, WebhookOutcome, WebhookPipeline } from '../webhook/pipeline.js'
import { inSpan, recordDecision, recordWebhookRejection, telemetryAttributes } from './telemetry.js'

/**
 * Wraps a webhook pipeline so that each delivery is a span (`kyc.webhooks.handle`, server kind) with
 * the provider, the number of new, duplicate and changed events, or the rejection reason (the
 * `KycError` code) and `error.type`; refused deliveries count in `openkyc.webhook.rejections` and
 * decisions that changed a verification in `openkyc.decisions`. The adapter's `parseWebhook` span
 * nests under it. Used by `createKyc`.
 */
export function instrumentWebhookPipeline<Handle>(
  pipeline: WebhookPipeline<Handle>,
  provider: string,
): WebhookPipeline<Handle> {
  const handle: WebhookPipeline<Handle>['handle'] = (input, options) =>
    inSpan(
      'kyc.webhooks.handle',
      { kind: 'server', attributes: { [telemetryAttributes.provider]: provider } },
      async (span) => {
        let outcome: WebhookOutcome
        try {
          outcome = await pipeline.handle(input, options)
        } catch (error) {
          span.setAttribute(telemetryAttributes.rejectionReason, recordWebhookRejection(provider, error))
          throw error
        }
        let changed = 0
        for (const processed of outcome.events) {
          if (!processed.changed) continue
          changed += 1
          const decided = processed.verification?.decision?.outcome
          if (decided !== undefined) recordDecision(provider, decided)
        }
        span.setAttribute(telemetryAttributes.eventCount, outcome.events.length)
        span.setAttribute(telemetryAttributes.duplicateCount, outcome.duplicates.length)
        span.setAttribute(telemetryAttributes.changedCount, changed)
        return outcome
      },
    )
  return Object.freeze({ ...pipeline, handle })
}

/**
 * The attributes of one processed event's span (`kyc.webhooks.event`, made by the pipeline): whether
 * it was a duplicate, whether it changed the verification, and the resulting status and outcome.
 */
export function describeProcessedEvent(span: Span, processed: ProcessedWebhookEvent | undefined): void {
  span.setAttribute(telemetryAttributes.eventDuplicate, processed === undefined)
  if (processed === undefined) return
  span.setAttribute(telemetryAttributes.eventChanged, processed.changed)
  const { verification } = processed
  if (verification === undefined) return
  span.setAttribute(telemetryAttributes.verificationStatus, verification.status)
  if (verification.decision !== undefined) {
    span.setAttribute(telemetryAttributes.decisionOutcome, verification.decision.outcome)
  }
}
