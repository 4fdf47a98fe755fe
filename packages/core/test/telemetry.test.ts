import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import type { Histogram } from '@opentelemetry/sdk-metrics'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { createKyc } from '../src/client.js'
import { KycRateLimitedError, KycWebhookVerificationError } from '../src/errors.js'
import { createHttpClient } from '../src/http/index.js'
import { createMemoryStore } from '../src/store/memory-store.js'
import { telemetryAttributes as attribute, telemetryMetrics as metric } from '../src/telemetry/index.js'
import { createMockAdapter, createMockVerification } from '../src/test/index.js'
import { jsonResponse, scriptedFetch, steppingClock } from './http/helpers.js'
import { installTelemetry } from './telemetry-support.js'

const telemetry = installTelemetry()
afterAll(() => telemetry.uninstall())
beforeEach(async () => {
  telemetry.spans.reset()
  // Delta metrics: read and forget what earlier tests recorded.
  await telemetry.collect()
})

function client(
  answers: Parameters<typeof scriptedFetch>[0],
  rateLimit?: { requests: number; intervalMs: number },
) {
  const clock = steppingClock()
  const server = scriptedFetch(answers, clock.now)
  return createHttpClient({
    provider: 'acme',
    baseUrl: 'https://api.acme.test/v1/',
    fetch: server.fetch,
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
    ...(rateLimit === undefined ? {} : { rateLimit }),
  })
}

describe('HTTP client telemetry', () => {
  it('makes one client span per call, with the semantic-convention attributes, attempts and retry events', async () => {
    const http = client([jsonResponse(503, {}), jsonResponse(200, { id: 'inq_1' })])
    await http.request({ path: 'inquiries/{inquiryId}', pathParams: { inquiryId: 'inq_secret_id' } })
    const [span, ...others] = telemetry.spans.getFinishedSpans()
    expect(others).toEqual([])
    expect(span?.name).toBe('GET inquiries/{inquiryId}')
    expect(span?.kind).toBe(SpanKind.CLIENT)
    expect(span?.attributes).toEqual({
      [attribute.provider]: 'acme',
      [attribute.httpMethod]: 'GET',
      [attribute.urlTemplate]: 'inquiries/{inquiryId}',
      [attribute.serverAddress]: 'api.acme.test',
      [attribute.serverPort]: 443,
      [attribute.httpStatus]: 200,
      [attribute.attempts]: 2,
      [attribute.resendCount]: 1,
    })
    expect(span?.events.map((event) => [event.name, event.attributes])).toEqual([
      [
        'retry',
        { [attribute.attempts]: 1, [attribute.retryWaitMs]: expect.any(Number), [attribute.httpStatus]: 503 },
      ],
    ])
    expect(telemetry.spanText()).not.toContain('inq_secret_id')
  })

  it('records the vendor latency histogram per attempt and counts retries', async () => {
    const http = client([jsonResponse(500, {}), jsonResponse(200, {})])
    await http.request({ path: 'inquiries' })
    const snapshot = await telemetry.snapshot()
    const points = snapshot.points(metric.vendorRequestDuration)
    expect(
      points.map((point) => [point.attributes[attribute.httpStatus], (point.value as Histogram).count]),
    ).toEqual([
      [500, 1],
      [200, 1],
    ])
    expect(points[0]?.attributes[attribute.errorType]).toBe('500')
    expect(snapshot.sum(metric.retries)).toBe(1)
  })

  it('counts 429s and marks the span failed with the error class on the final one', async () => {
    const http = client([jsonResponse(429, {}, { 'retry-after': '1' })])
    await expect(http.request({ path: 'inquiries' })).rejects.toBeInstanceOf(KycRateLimitedError)
    const [span] = telemetry.spans.getFinishedSpans()
    expect(span?.status.code).toBe(SpanStatusCode.ERROR)
    expect(span?.status.message).toBeUndefined()
    expect(span?.attributes[attribute.errorType]).toBe('KycRateLimitedError')
    expect(span?.attributes[attribute.attempts]).toBe(3)
    expect(span?.events).toHaveLength(2)
    expect((await telemetry.snapshot()).sum(metric.rateLimited)).toBe(3)
  })

  it('reports the time spent waiting for the client-side rate limit', async () => {
    const http = client([jsonResponse(200, {})], { requests: 1, intervalMs: 1000 })
    await http.request({ path: 'inquiries' })
    await http.request({ path: 'inquiries' })
    const waits = telemetry.spans.getFinishedSpans().map((span) => span.attributes[attribute.rateLimitWaitMs])
    expect(waits[0]).toBeUndefined()
    expect(waits[1]).toBeGreaterThan(0)
  })

  it('names a network failure in error.type without its message', async () => {
    const http = client([{ networkError: 'getaddrinfo ENOTFOUND person@example.com' }])
    await expect(http.request({ path: 'inquiries' })).rejects.toThrow()
    const points = (await telemetry.snapshot()).points(metric.vendorRequestDuration)
    expect(new Set(points.map((point) => point.attributes[attribute.errorType]))).toEqual(
      new Set(['network_error']),
    )
    expect(telemetry.spanText()).not.toContain('person@example.com')
  })
})

describe('createKyc telemetry', () => {
  it('makes a span per adapter call with provider, operation, status and outcome; HTTP spans nest under it', async () => {
    const approved = createMockVerification({
      status: 'completed',
      decision: { outcome: 'approved', reasons: [], decidedBy: 'provider', raw: { status: 'approved' } },
    })
    const http = client([jsonResponse(200, {})])
    const mock = createMockAdapter({
      provider: 'acme',
      results: {
        getVerification: async () => {
          await http.request({ path: 'inquiries/{inquiryId}', pathParams: { inquiryId: 'inq_1' } })
          return approved
        },
      },
    })
    const kyc = createKyc({ adapters: { acme: mock }, env: {} })
    await kyc.getVerification({ reference: approved.reference })
    const spans = telemetry.spans.getFinishedSpans()
    const adapterSpan = spans.find((span) => span.name === 'kyc.getVerification')
    const httpSpan = spans.find((span) => span.name === 'GET inquiries/{inquiryId}')
    expect(adapterSpan?.attributes).toEqual({
      [attribute.provider]: 'acme',
      [attribute.operation]: 'getVerification',
      [attribute.verificationStatus]: 'completed',
      [attribute.decisionOutcome]: 'approved',
    })
    expect(httpSpan?.parentSpanContext?.spanId).toBe(adapterSpan?.spanContext().spanId)
  })

  it('marks a failed adapter call with the error class, and a capability the adapter lacks never reaches it', async () => {
    const kyc = createKyc({
      adapters: { acme: createMockAdapter({ provider: 'acme', capabilities: { cancel: false } }) },
      env: {},
    })
    await expect(kyc.getVerification({ reference: { verificationId: 'missing' } })).rejects.toThrow()
    await expect(kyc.cancelVerification({ reference: { verificationId: 'x' } })).rejects.toThrow()
    const spans = telemetry.spans.getFinishedSpans()
    expect(spans.map((span) => [span.name, span.attributes[attribute.errorType]])).toEqual([
      ['kyc.getVerification', 'KycNotFoundError'],
    ])
  })

  it('makes a span per webhook delivery, counts decisions by outcome and rejections by reason', async () => {
    const mock = createMockAdapter({ provider: 'acme', webhookSecret: 'whsec_test' })
    const kyc = createKyc({ adapters: { acme: mock }, store: createMemoryStore(), env: {} })
    const verification = createMockVerification({
      provider: 'acme',
      status: 'completed',
      decision: { outcome: 'declined', reasons: [], decidedBy: 'provider', raw: { status: 'declined' } },
    })
    const event = {
      id: 'evt_1',
      provider: 'acme',
      type: 'verification.completed' as const,
      occurredAt: verification.updatedAt,
      verification,
      raw: { type: 'inquiry.declined' },
    }
    const delivery = mock.createWebhookDelivery([event])
    await kyc.webhooks.handle(delivery)
    await kyc.webhooks.handle(delivery)
    await expect(
      kyc.webhooks.handle({ rawBody: delivery.rawBody, headers: { 'x-mock-signature': 't=1,v1=00' } }),
    ).rejects.toBeInstanceOf(KycWebhookVerificationError)

    const handled = telemetry.spans.getFinishedSpans().filter((span) => span.name === 'kyc.webhooks.handle')
    expect(handled.map((span) => span.kind)).toEqual([SpanKind.SERVER, SpanKind.SERVER, SpanKind.SERVER])
    expect(handled.map((span) => span.attributes)).toEqual([
      {
        [attribute.provider]: 'acme',
        [attribute.eventCount]: 1,
        [attribute.duplicateCount]: 0,
        [attribute.changedCount]: 1,
      },
      {
        [attribute.provider]: 'acme',
        [attribute.eventCount]: 0,
        [attribute.duplicateCount]: 1,
        [attribute.changedCount]: 0,
      },
      {
        [attribute.provider]: 'acme',
        [attribute.rejectionReason]: 'webhook_verification',
        [attribute.errorType]: 'KycWebhookVerificationError',
      },
    ])
    const eventSpans = telemetry.spans.getFinishedSpans().filter((span) => span.name === 'kyc.webhooks.event')
    expect(eventSpans.map((span) => span.attributes)).toEqual([
      {
        [attribute.provider]: 'acme',
        [attribute.eventType]: 'verification.completed',
        [attribute.eventDuplicate]: false,
        [attribute.eventChanged]: true,
        [attribute.verificationStatus]: 'completed',
        [attribute.decisionOutcome]: 'declined',
      },
      {
        [attribute.provider]: 'acme',
        [attribute.eventType]: 'verification.completed',
        [attribute.eventDuplicate]: true,
      },
    ])
    expect(eventSpans[0]?.parentSpanContext?.spanId).toBe(handled[0]?.spanContext().spanId)
    const snapshot = await telemetry.snapshot()
    const decisions = snapshot.points(metric.decisions)
    expect(decisions.map((point) => [point.attributes, point.value])).toEqual([
      [{ [attribute.provider]: 'acme', [attribute.decisionOutcome]: 'declined' }, 1],
    ])
    const rejections = snapshot.points(metric.webhookRejections)
    expect(rejections.map((point) => [point.attributes, point.value])).toEqual([
      [{ [attribute.provider]: 'acme', [attribute.rejectionReason]: 'webhook_verification' }, 1],
    ])
  })
})
