import {
  capabilityMethods,
  type KycAdapter,
  type KycCapability,
  type KycCapabilityMethod,
  kycCapabilities,
} from './adapter.js'
import { KycConfigurationError, KycUnsupportedCapabilityError } from './errors.js'

const methodCapability = new Map<string, KycCapability>(
  kycCapabilities.flatMap((capability) =>
    capabilityMethods[capability].map((method) => [method, capability] as const),
  ),
)

/** The capability a method belongs to, or `undefined` for the required methods. */
export function capabilityOf(method: string): KycCapability | undefined {
  return methodCapability.get(method)
}

/** An adapter whose optional methods are all present: calling one that is not declared throws. */
export type EnforcedKycAdapter = KycAdapter & Required<Pick<KycAdapter, KycCapabilityMethod>>

/**
 * Wraps an adapter so its declared capabilities are enforced. Every optional method exists on the
 * result; calling one whose capability is not declared throws `KycUnsupportedCapabilityError`
 * before the adapter is called, so no request is ever sent.
 *
 * Throws `KycConfigurationError` when the adapter declares a capability without its methods, or
 * speaks another specification version.
 *
 * @example
 * ```ts
 * const adapter = enforceCapabilities(createJumio())
 * await adapter.createList({ kind: 'email_address', name: 'vip' }) // throws KycUnsupportedCapabilityError
 * ```
 */
export function enforceCapabilities(adapter: KycAdapter): EnforcedKycAdapter {
  if (adapter.specificationVersion !== 'v1') {
    throw new KycConfigurationError({
      provider: adapter.provider,
      message: `The ${adapter.provider} adapter implements specification "${String(adapter.specificationVersion)}"; this version of @openkyc/core supports "v1".`,
    })
  }
  const enforced: Record<string, unknown> = {
    specificationVersion: adapter.specificationVersion,
    provider: adapter.provider,
    capabilities: adapter.capabilities,
    ...(adapter.coverage === undefined ? {} : { coverage: adapter.coverage }),
    createVerification: adapter.createVerification.bind(adapter),
    getVerification: adapter.getVerification.bind(adapter),
    parseWebhook: adapter.parseWebhook.bind(adapter),
    ...(adapter.subscribeBackgroundEvents === undefined
      ? {}
      : { subscribeBackgroundEvents: adapter.subscribeBackgroundEvents.bind(adapter) }),
  }
  for (const capability of kycCapabilities) {
    for (const method of capabilityMethods[capability]) {
      const implementation = adapter[method] as ((options: never) => Promise<unknown>) | undefined
      if (adapter.capabilities[capability] === true) {
        if (typeof implementation !== 'function') {
          throw new KycConfigurationError({
            provider: adapter.provider,
            message: `The ${adapter.provider} adapter declares the "${capability}" capability but has no ${method}() method.`,
          })
        }
        enforced[method] = implementation.bind(adapter)
      } else {
        enforced[method] = async () => {
          throw new KycUnsupportedCapabilityError({ provider: adapter.provider, capability })
        }
      }
    }
  }
  return enforced as EnforcedKycAdapter
}
