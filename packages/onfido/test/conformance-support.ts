import type { ConformanceDriver } from '@openkyc/testkit/harness'

/**
 * The Onfido simulator's driver as issue 14's suite expects it: Onfido signs the raw body only
 * (`X-SHA2-Signature`, no timestamp), so the driver declares the `body-signature` scheme and the
 * suite runs the forgeries that fit it, plus replay handling through dedupe. The simulator's driver
 * was written before the scheme could be declared and still says `signature` (timestamped); drop
 * this wrapper once it declares `body-signature` itself.
 */
export function withBodySignatureScheme<Driver extends ConformanceDriver>(
  driver: Driver,
): Driver & { webhookSecurity: 'body-signature' } {
  return { ...driver, webhookSecurity: 'body-signature' }
}
