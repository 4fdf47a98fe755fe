import { type KycCapability, kycCapabilities } from '@openkyc/core'
import type { ScenarioId } from '../catalogue/scenario.js'
import { scenarioIds } from '../catalogue/scenarios.js'
import type { WebhookForgery } from '../harness/driver.js'

/**
 * The stable id of each conformance test, shown in brackets at the end of its title. Pass one to
 * `skip` (with a reason) to skip that test visibly.
 */
export type ConformanceTestId =
  | 'interface'
  | `scenario.${ScenarioId}.read`
  | `scenario.${ScenarioId}.webhook`
  | 'webhook.valid'
  | `webhook.forged.${WebhookForgery}`
  | 'webhook.replayed'
  | 'webhook.duplicate'
  | 'webhook.reorder'
  | 'errors.authentication'
  | 'errors.not-found'
  | 'errors.rate-limited'
  | 'errors.rate-limited-once'
  | 'errors.unavailable'
  | 'errors.connection-reset'
  | 'errors.malformed-response'
  | `capability.${KycCapability}`
  | `capability.${KycCapability}.undeclared`
  | 'pii'

const forgeries: readonly WebhookForgery[] = [
  'bad-signature',
  'tampered-body',
  'stale-timestamp',
  'unknown-secret',
]

/** Every conformance test id, in the order the suite registers them. */
export const conformanceTestIds: readonly ConformanceTestId[] = [
  'interface',
  ...scenarioIds.flatMap((id) => [`scenario.${id}.read`, `scenario.${id}.webhook`] as const),
  'webhook.valid',
  ...forgeries.map((kind) => `webhook.forged.${kind}` as const),
  'webhook.replayed',
  'webhook.duplicate',
  'webhook.reorder',
  'errors.authentication',
  'errors.not-found',
  'errors.rate-limited',
  'errors.rate-limited-once',
  'errors.unavailable',
  'errors.connection-reset',
  'errors.malformed-response',
  ...kycCapabilities.flatMap(
    (capability) => [`capability.${capability}`, `capability.${capability}.undeclared`] as const,
  ),
  'pii',
]

/** Every forgery, in a stable order; which ones apply depends on the driver's scheme (`webhookForgeriesByScheme`). */
export const webhookForgeries = forgeries
