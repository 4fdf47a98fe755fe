import type { Attributes, Counter, Histogram, MeterProvider, Span, Tracer } from '@opentelemetry/api'
import { isKycError } from '../errors.js'

type OpenTelemetryApi = typeof import('@opentelemetry/api')

let openTelemetry: OpenTelemetryApi | undefined
let loadingOpenTelemetry: Promise<OpenTelemetryApi> | undefined

/**
 * The OpenTelemetry API, imported on first use rather than when core is imported: it is dozens of
 * CommonJS modules, about a quarter of core's import time, and an application that never makes a
 * vendor call or handles a webhook never needs it. Nothing is lost by loading it late: the API keeps
 * the registered providers in a process-wide global, so spans and metrics reach an SDK registered
 * before or after this import alike. {@link inSpan} awaits it (once); every recording runs inside a
 * span, so it finds the API loaded.
 */
function loadOpenTelemetry(): Promise<OpenTelemetryApi> {
  loadingOpenTelemetry ??= import('@opentelemetry/api').then((api) => {
    openTelemetry = api
    return api
  })
  return loadingOpenTelemetry
}

/** The instrumentation scope of every span and metric OpenKYC records. */
export const instrumentationScope = '@openkyc/core'

/**
 * The attribute names OpenKYC sets. Where the OpenTelemetry semantic conventions define one it is
 * used (`http.request.method`, `http.response.status_code`, `server.address`, `server.port`,
 * `url.template`, `error.type`, `http.request.resend_count`); the rest are under `openkyc.`.
 *
 * Never set: `url.full`, `url.path` and `url.query` (paths carry vendor ids, queries may carry
 * personal data: `url.template` names the endpoint instead), request or response bodies and headers,
 * exception messages (`error.type` is the error's class or the HTTP status, nothing else), session
 * URLs and tokens, subject references.
 */
export const telemetryAttributes = Object.freeze({
  provider: 'openkyc.provider',
  operation: 'openkyc.operation',
  attempts: 'openkyc.http.attempts',
  rateLimitWaitMs: 'openkyc.rate_limit.wait_ms',
  retryWaitMs: 'openkyc.retry.wait_ms',
  verificationStatus: 'openkyc.verification.status',
  decisionOutcome: 'openkyc.decision.outcome',
  eventCount: 'openkyc.webhook.events',
  eventType: 'openkyc.event.type',
  eventChanged: 'openkyc.event.changed',
  eventDuplicate: 'openkyc.event.duplicate',
  duplicateCount: 'openkyc.webhook.duplicates',
  changedCount: 'openkyc.webhook.changed',
  rejectionReason: 'openkyc.webhook.rejection_reason',
  deletionResult: 'openkyc.deletion.result',
  staleCount: 'openkyc.reconciler.stale',
  movedCount: 'openkyc.reconciler.moved',
  httpMethod: 'http.request.method',
  httpStatus: 'http.response.status_code',
  resendCount: 'http.request.resend_count',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  urlTemplate: 'url.template',
  errorType: 'error.type',
} as const)

/**
 * The metric names OpenKYC records. `http.client.request.duration` follows the semantic
 * conventions (seconds, one data point per attempt); the others are OpenKYC's own counters.
 */
export const telemetryMetrics = Object.freeze({
  vendorRequestDuration: 'http.client.request.duration',
  retries: 'openkyc.http.retries',
  rateLimited: 'openkyc.http.rate_limited',
  decisions: 'openkyc.decisions',
  webhookRejections: 'openkyc.webhook.rejections',
  reconcilerStale: 'openkyc.reconciler.stale',
  reconcilerMoved: 'openkyc.reconciler.moved',
  dataDeletions: 'openkyc.data.deletions',
} as const)

type Instruments = {
  vendorRequestDuration: Histogram
  retries: Counter
  rateLimited: Counter
  decisions: Counter
  webhookRejections: Counter
  reconcilerStale: Counter
  reconcilerMoved: Counter
  dataDeletions: Counter
}

let cached: { provider: MeterProvider; instruments: Instruments } | undefined

/**
 * The instruments of the meter provider registered now. Looked up on every use, not at import: the
 * metrics API has no proxy provider, so a meter taken before the application registered its SDK
 * would stay a no-op forever. Without an SDK every instrument is the API's no-op.
 */
function instruments(): Instruments | undefined {
  if (openTelemetry === undefined) {
    // Only reachable outside a span (a recording always runs inside one): record from the next call on.
    void loadOpenTelemetry().catch(() => undefined)
    return undefined
  }
  const provider = openTelemetry.metrics.getMeterProvider()
  if (cached?.provider === provider) return cached.instruments
  const meter = provider.getMeter(instrumentationScope)
  const created: Instruments = {
    vendorRequestDuration: meter.createHistogram(telemetryMetrics.vendorRequestDuration, {
      description: 'Duration of each HTTP attempt to a KYC vendor, until its body was read.',
      unit: 's',
      advice: { explicitBucketBoundaries: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] },
    }),
    retries: meter.createCounter(telemetryMetrics.retries, {
      description: 'HTTP attempts to a KYC vendor that failed and were retried.',
      unit: '{retry}',
    }),
    rateLimited: meter.createCounter(telemetryMetrics.rateLimited, {
      description: 'HTTP 429 answers from a KYC vendor.',
      unit: '{response}',
    }),
    decisions: meter.createCounter(telemetryMetrics.decisions, {
      description:
        'Decisions received through webhooks that changed a verification, by provider and outcome.',
      unit: '{decision}',
    }),
    webhookRejections: meter.createCounter(telemetryMetrics.webhookRejections, {
      description: 'Webhook deliveries refused, by provider and reason (the KycError code).',
      unit: '{delivery}',
    }),
    reconcilerStale: meter.createCounter(telemetryMetrics.reconcilerStale, {
      description:
        'Verifications the reconciler found stale (not terminal, no update for a while) and re-read, by provider.',
      unit: '{verification}',
    }),
    reconcilerMoved: meter.createCounter(telemetryMetrics.reconcilerMoved, {
      description: 'Stale verifications whose re-read moved the stored state forward, by provider.',
      unit: '{verification}',
    }),
    dataDeletions: meter.createCounter(telemetryMetrics.dataDeletions, {
      description:
        'Verification data deletions by retention or erasure, by provider, job and result (deleted at the vendor, not supported, failed).',
      unit: '{verification}',
    }),
  }
  cached = { provider, instruments: created }
  return created
}

function tracer(api: OpenTelemetryApi): Tracer {
  // The trace API returns a proxy that follows the provider registered later, so this is cheap.
  return api.trace.getTracer(instrumentationScope)
}

let noTracing: { provider: unknown; span: Span } | undefined

/**
 * Whether no tracer provider is registered: the API's global provider is its own proxy and has no
 * delegate (what `getDelegate()` then answers is the API's shared no-op provider). Then every span
 * would be a non-recording no-op, so {@link inSpan} starts none and runs the work with one shared
 * no-op span instead: no span object, no context switch, no attribute copies per call. A provider
 * registered later is seen on the next call.
 */
function untraced(api: OpenTelemetryApi): Span | undefined {
  noTracing ??= {
    provider: new api.ProxyTracerProvider().getDelegate(),
    span: api.trace.wrapSpanContext(api.INVALID_SPAN_CONTEXT),
  }
  const provider = api.trace.getTracerProvider()
  return provider instanceof api.ProxyTracerProvider && provider.getDelegate() === noTracing.provider
    ? noTracing.span
    : undefined
}

/**
 * The shared no-op span when the OpenTelemetry API is loaded and no tracer provider is registered;
 * `undefined` otherwise (a tracer is registered, or the API is not loaded yet: then {@link inSpan}
 * loads it). Synchronous, so a hot wrapper can call straight through without an `inSpan` turn.
 * Internal to core.
 */
export function untracedSpan(): Span | undefined {
  return openTelemetry === undefined ? undefined : untraced(openTelemetry)
}

/**
 * Captures the active OpenTelemetry context and returns a function that runs `work` in it: for work
 * one call starts on behalf of another (a queued webhook event, processed by the delivery ahead of
 * it), so that spans it opens have their own call's span as parent. Runs `work` as it is when the API
 * is not loaded or no tracer is registered. Internal to core.
 */
export function captureActiveContext(): <T>(work: () => T) => T {
  const api = openTelemetry
  if (api === undefined || untraced(api) !== undefined) return runAsItIs
  const captured = api.context.active()
  return (work) => api.context.with(captured, work)
}

const runAsItIs = <T>(work: () => T): T => work()

/**
 * What to put in `error.type` for a failure: the `KycError` class name (`KycRateLimitedError`), or
 * `_OTHER` for anything else, whose name we cannot vouch for. Never a message.
 */
export function errorType(error: unknown): string {
  return isKycError(error) ? (error as Error).name : '_OTHER'
}

/**
 * Runs `work` inside a new active span and ends it: status `ERROR` and `error.type` when it throws
 * (the error is rethrown untouched, and never recorded as an exception event: its message is not
 * ours to vouch for), `finish` adds attributes from the result when it resolves.
 */
export async function inSpan<T>(
  name: string,
  options: { kind: 'client' | 'internal' | 'server'; attributes: Attributes },
  work: (span: Span) => Promise<T>,
  finish?: (span: Span, result: T) => void,
): Promise<T> {
  // Awaited only until the API is loaded: afterwards no await, so no extra turn per call.
  const api = openTelemetry ?? (await loadOpenTelemetry())
  const noopSpan = untraced(api)
  if (noopSpan !== undefined) return work(noopSpan)
  const { SpanKind, SpanStatusCode } = api
  const kind =
    options.kind === 'client'
      ? SpanKind.CLIENT
      : options.kind === 'server'
        ? SpanKind.SERVER
        : SpanKind.INTERNAL
  return tracer(api).startActiveSpan(name, { kind, attributes: options.attributes }, async (span) => {
    try {
      const result = await work(span)
      if (span.isRecording()) finish?.(span, result)
      return result
    } catch (error) {
      span.setAttribute(telemetryAttributes.errorType, errorType(error))
      span.setStatus({ code: SpanStatusCode.ERROR })
      throw error
    } finally {
      span.end()
    }
  })
}

/** One finished HTTP attempt, as the HTTP client reports it to telemetry. */
export type AttemptMeasurement = {
  provider: string
  method: string
  urlTemplate: string
  serverAddress: string
  serverPort: number | undefined
  status: number | undefined
  /** Why no response arrived, when none did. */
  failure: 'timeout' | 'network_error' | undefined
  durationMs: number
  retried: boolean
}

/** Records one HTTP attempt: its duration, a retry, a 429. */
export function recordAttempt(measurement: AttemptMeasurement): void {
  const attributes: Attributes = {
    [telemetryAttributes.provider]: measurement.provider,
    [telemetryAttributes.httpMethod]: measurement.method,
    [telemetryAttributes.serverAddress]: measurement.serverAddress,
    [telemetryAttributes.urlTemplate]: measurement.urlTemplate,
  }
  if (measurement.serverPort !== undefined)
    attributes[telemetryAttributes.serverPort] = measurement.serverPort
  if (measurement.status !== undefined) attributes[telemetryAttributes.httpStatus] = measurement.status
  const failed =
    measurement.failure ??
    (measurement.status !== undefined && measurement.status >= 400 ? String(measurement.status) : undefined)
  if (failed !== undefined) attributes[telemetryAttributes.errorType] = failed
  const recorded = instruments()
  if (recorded === undefined) return
  recorded.vendorRequestDuration.record(measurement.durationMs / 1000, attributes)
  if (measurement.retried) recorded.retries.add(1, attributes)
  if (measurement.status === 429) recorded.rateLimited.add(1, attributes)
}

/** Counts one decision that changed a verification. */
export function recordDecision(provider: string, outcome: string): void {
  instruments()?.decisions.add(1, {
    [telemetryAttributes.provider]: provider,
    [telemetryAttributes.decisionOutcome]: outcome,
  })
}

/** Counts one refused webhook delivery; the reason is the `KycError` code, or `other`. */
export function recordWebhookRejection(provider: string, error: unknown): string {
  const reason = isKycError(error) ? (error as { code: string }).code : 'other'
  instruments()?.webhookRejections.add(1, {
    [telemetryAttributes.provider]: provider,
    [telemetryAttributes.rejectionReason]: reason,
  })
  return reason
}

/** What one reconciler run did at one provider. See {@link recordReconciliation}. */
export type ReconciliationMeasurement = {
  provider: string
  /** Stale verifications re-read. */
  stale: number
  /** Of those, the ones whose re-read moved the stored state. */
  moved: number
}

/** Counts a reconciler run's stale and moved verifications (`openkyc.reconciler.stale`, `.moved`). */
export function recordReconciliation(measurement: ReconciliationMeasurement): void {
  const attributes = { [telemetryAttributes.provider]: measurement.provider }
  const recorded = instruments()
  if (recorded === undefined) return
  recorded.reconcilerStale.add(measurement.stale, attributes)
  recorded.reconcilerMoved.add(measurement.moved, attributes)
}

/**
 * Counts one verification's data deletion (`openkyc.data.deletions`): `job` is `retention` or
 * `erasure`, `result` what happened at the vendor (`deleted`, `already_deleted`, `not_supported`,
 * `no_adapter`, `failed`). Never an id or a subject.
 */
export function recordDataDeletion(provider: string, job: string, result: string): void {
  instruments()?.dataDeletions.add(1, {
    [telemetryAttributes.provider]: provider,
    [telemetryAttributes.operation]: job,
    [telemetryAttributes.deletionResult]: result,
  })
}
