import { alpha3FromCountryCode, countryCodeFromAlpha3, isCountryCode } from '@openkyc/core'

/**
 * Jumio's ISO 3166-1 alpha-3 code (`USA`) → our alpha-2 (`US`). Returns `undefined` for anything that
 * is not a known country, so an unexpected value is dropped instead of breaking the model.
 */
export function jumioCountryToAlpha2(value: string | null | undefined): string | undefined {
  if (typeof value !== 'string') return undefined
  const code = value.trim().toUpperCase()
  // Core's table (user-assigned `XKX`/`XK` for Kosovo included), so no country library loads at start-up.
  if (code.length === 3) return countryCodeFromAlpha3(code)
  if (code.length === 2 && isCountryCode(code)) return code
  return undefined
}

/** Our alpha-2 code (`US`) → Jumio's alpha-3 (`USA`); `undefined` when it is not a known country. */
export function alpha2ToJumioCountry(value: string): string | undefined {
  const code = value.trim().toUpperCase()
  return alpha3FromCountryCode(code)
}
