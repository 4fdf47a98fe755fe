import { alpha3FromCountryCode, countryCodeFromAlpha3, isCountryCode } from '@openkyc/core'

/**
 * Onfido's ISO 3166-1 alpha-3 country (`GBR`) → our alpha-2 (`GB`). Alpha-2 input is kept when valid.
 * Anything else (`null`, an unknown code) becomes `undefined`, so a strange value is dropped instead
 * of breaking the model.
 */
export function onfidoCountryToAlpha2(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const code = value.trim().toUpperCase()
  // Core's table (user-assigned `XKX`/`XK` for Kosovo included), so no country library loads at start-up.
  if (code.length === 3) return countryCodeFromAlpha3(code)
  if (code.length === 2 && isCountryCode(code)) return code
  return undefined
}

/** Our alpha-2 (`GB`) → Onfido's alpha-3 (`GBR`); `undefined` when it is not a known country. */
export function alpha2ToOnfidoCountry(value: string): string | undefined {
  const code = value.trim().toUpperCase()
  return alpha3FromCountryCode(code)
}
