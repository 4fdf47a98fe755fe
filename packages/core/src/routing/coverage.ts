import type { KycCapabilities } from '../adapter.js'
import type { DocumentType } from '../model/credential.js'
import type { ProviderCoverage } from './routing-config.js'
import type { RoutingSkipReason } from './routing-record.js'

/** What routing looks at in a `createVerification` call. */
export type RoutingRequest = {
  /** ISO 3166-1 alpha-2 country hint. */
  country?: string | undefined
  /** Document types the caller will accept. */
  documentTypes?: readonly DocumentType[] | undefined
  /** `hosted` (default) or `api`. */
  channel?: 'hosted' | 'api' | undefined
  /** Caller-supplied attributes rules can match on (`routing.attributes` of the call). */
  attributes?: Readonly<Record<string, string>> | undefined
}

/**
 * Why `provider` cannot take `request`, or `undefined` when it can. Configured coverage first
 * (countries, then document types: a request without a country or document types is not restricted by
 * them), then what the adapter itself declares: an API-channel request needs the `upload` capability.
 *
 * @example
 * ```ts
 * coverageProblem({ country: 'BR' }, { countries: ['DE', 'FR'] }, adapter.capabilities) // 'country_not_covered'
 * ```
 */
export function coverageProblem(
  request: RoutingRequest,
  coverage: ProviderCoverage | undefined,
  capabilities: KycCapabilities,
): RoutingSkipReason | undefined {
  if (
    request.country !== undefined &&
    coverage?.countries !== undefined &&
    !coverage.countries.includes(request.country)
  ) {
    return 'country_not_covered'
  }
  const accepted = coverage?.documentTypes
  if (
    request.documentTypes !== undefined &&
    request.documentTypes.length > 0 &&
    accepted !== undefined &&
    !request.documentTypes.some((type) => accepted.includes(type))
  ) {
    return 'document_type_not_covered'
  }
  if (request.channel === 'api' && !capabilities.upload) return 'channel_not_supported'
  return undefined
}
