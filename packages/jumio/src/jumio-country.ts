import countries from 'i18n-iso-countries'

/**
 * Codes Jumio may send that ISO 3166-1 does not assign (user-assigned codes in use on documents),
 * with the alpha-2 code commonly paired with them.
 */
const userAssignedAlpha3: Readonly<Record<string, string>> = { XKX: 'XK' }
const userAssignedAlpha2: Readonly<Record<string, string>> = { XK: 'XKX' }

/**
 * Jumio's ISO 3166-1 alpha-3 code (`USA`) → our alpha-2 (`US`). Returns `undefined` for anything that
 * is not a known country, so an unexpected value is dropped instead of breaking the model.
 */
export function jumioCountryToAlpha2(value: string | null | undefined): string | undefined {
  if (typeof value !== 'string') return undefined
  const code = value.trim().toUpperCase()
  if (code.length === 3) return userAssignedAlpha3[code] ?? countries.alpha3ToAlpha2(code)
  if (code.length === 2 && (countries.isValid(code) || userAssignedAlpha2[code] !== undefined)) return code
  return undefined
}

/** Our alpha-2 code (`US`) → Jumio's alpha-3 (`USA`); `undefined` when it is not a known country. */
export function alpha2ToJumioCountry(value: string): string | undefined {
  const code = value.trim().toUpperCase()
  return userAssignedAlpha2[code] ?? countries.alpha2ToAlpha3(code)
}
