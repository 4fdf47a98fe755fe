import type { Span } from '@opentelemetry/api'
import { capabilityMethods, type KycAdapter, kycCapabilities } from '../adapter.js'
import type { Verification } from '../model/index.js'
import { inSpan, telemetryAttributes, untracedSpan } from './telemetry.js'

/** The adapter methods that become spans: the required three and every optional capability method. */
const tracedMethods: readonly string[] = [
  'createVerification',
  'getVerification',
  'parseWebhook',
  ...kycCapabilities.flatMap((capability) => capabilityMethods[capability]),
]

function isVerification(value: unknown): value is Verification {
  return typeof value === 'object' && value !== null && 'status' in value && 'provider' in value
}

/** Status and decision outcome of a call's result, when it is (or holds) a verification. */
function describeResult(span: Span, result: unknown): void {
  const verification =
    typeof result === 'object' && result !== null && 'verification' in result
      ? (result as { verification: unknown }).verification
      : result
  if (Array.isArray(result)) span.setAttribute(telemetryAttributes.eventCount, result.length)
  if (!isVerification(verification)) return
  span.setAttribute(telemetryAttributes.verificationStatus, verification.status)
  if (verification.decision !== undefined) {
    span.setAttribute(telemetryAttributes.decisionOutcome, verification.decision.outcome)
  }
}

/**
 * Wraps an adapter so that every call of one of its methods is an OpenTelemetry span
 * (`kyc.getVerification`, internal kind) carrying the provider, the operation, and the
 * verification status and decision outcome of the result, or `error.type` (the `KycError` class)
 * on failure. The result has the adapter interface only (adapter-specific extras are left out, as
 * `createKyc` leaves them out). The HTTP client's spans for the vendor calls nest under it. Nothing else is read from
 * the arguments or the result: no ids, no personal data, no session URL.
 *
 * `createKyc` does this for the chosen adapter; call it yourself only for an adapter you use
 * without `createKyc`. Without an OpenTelemetry SDK registered, every span is the API's no-op.
 *
 * @example
 * ```ts
 * import { instrumentAdapter } from '@openkyc/core'
 * const adapter = instrumentAdapter(createPersona())
 * await adapter.getVerification({ reference }) // span "kyc.getVerification"
 * ```
 */
export function instrumentAdapter<Adapter extends KycAdapter>(adapter: Adapter): Adapter {
  const { provider } = adapter
  // The interface only, methods called on the adapter itself (class adapters keep their private fields).
  const instrumented: Record<string, unknown> = {
    specificationVersion: adapter.specificationVersion,
    provider,
    capabilities: adapter.capabilities,
    ...(adapter.coverage === undefined ? {} : { coverage: adapter.coverage }),
    ...(adapter.subscribeBackgroundEvents === undefined
      ? {}
      : { subscribeBackgroundEvents: adapter.subscribeBackgroundEvents.bind(adapter) }),
  }
  for (const method of tracedMethods) {
    const implementation = (adapter as Record<string, unknown>)[method]
    if (typeof implementation !== 'function') continue
    const call = implementation as (this: Adapter, options: unknown) => Promise<unknown>
    const name = `kyc.${method}`
    // Built once per method, not per call: the span's name, kind and attributes never change.
    const spanOptions = {
      kind: 'internal',
      attributes: Object.freeze({
        [telemetryAttributes.provider]: provider,
        [telemetryAttributes.operation]: method,
      }),
    } as const
    instrumented[method] = (options: unknown) => {
      // No tracer registered: every span would be the no-op, so call straight through (one promise,
      // no extra turn). A throw still becomes a rejection, as it does inside a span.
      if (untracedSpan() !== undefined) {
        try {
          return Promise.resolve(call.call(adapter, options))
        } catch (error) {
          return Promise.reject(error)
        }
      }
      return inSpan(name, spanOptions, () => call.call(adapter, options), describeResult)
    }
  }
  return instrumented as Adapter
}
