/** The providers the demo compares, in the order their columns appear. */
export const providerNames = ['jumio', 'persona', 'onfido'] as const

/** A provider the demo knows how to run. */
export type ProviderName = (typeof providerNames)[number]

/**
 * Where a provider's requests go: the local simulator from `@openkyc/testkit` (the default, so the
 * demo runs offline and deterministically), or the vendor's real API when credentials are set.
 */
export type ProviderMode = 'simulator' | 'live'

/** True when `value` names a provider the demo knows. */
export function isProviderName(value: unknown): value is ProviderName {
  return typeof value === 'string' && (providerNames as readonly string[]).includes(value)
}

/** The vendor's name as people write it, for messages and headings. */
export const providerTitles: Readonly<Record<ProviderName, string>> = {
  jumio: 'Jumio',
  persona: 'Persona',
  onfido: 'Onfido',
}
