import type { KycAdapter } from '../adapter.js'
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
 * Why `adapter` cannot take `request`, or `undefined` when it can. Configured coverage first
 * (countries, then document types: a request without a country or document types is not restricted by
 * them), then what the adapter itself declares: its `coverage` (countries it does not take, the
 * document types it accepts) and, for an API-channel request, the `upload` capability.
 *
 * @example
 * ```ts
 * coverageProblem({ country: 'BR' }, { countries: ['DE', 'FR'] }, adapter) // 'country_not_covered'
 * ```
 */
export function coverageProblem(
  request: RoutingRequest,
  coverage: ProviderCoverage | undefined,
  adapter: Pick<KycAdapter, 'capabilities' | 'coverage'>,
): RoutingSkipReason | undefined {
  const { country, documentTypes } = request
  const requestsTypes = documentTypes !== undefined && documentTypes.length > 0
  if (country !== undefined && coverage?.countries !== undefined && !coverage.countries.includes(country)) {
    return 'country_not_covered'
  }
  if (
    requestsTypes &&
    coverage?.documentTypes !== undefined &&
    !acceptsAny(coverage.documentTypes, documentTypes)
  ) {
    return 'document_type_not_covered'
  }
  const declared = adapter.coverage
  if (country !== undefined && declared?.unsupportedCountries?.includes(country) === true) {
    return 'country_not_supported'
  }
  if (
    requestsTypes &&
    declared?.documentTypes !== undefined &&
    !acceptsAny(declared.documentTypes, documentTypes)
  ) {
    return 'document_type_not_supported'
  }
  if (request.channel === 'api' && !adapter.capabilities.upload) return 'channel_not_supported'
  return undefined
}

function acceptsAny(accepted: readonly DocumentType[], requested: readonly DocumentType[]): boolean {
  return requested.some((type) => accepted.includes(type))
}
