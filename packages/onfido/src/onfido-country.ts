import countries from 'i18n-iso-countries'

/** User-assigned codes found on documents that ISO 3166-1 does not assign, with their alpha-2 pair. */
const userAssignedAlpha3: Readonly<Record<string, string>> = { XKX: 'XK' }
const userAssignedAlpha2: Readonly<Record<string, string>> = { XK: 'XKX' }

/**
 * Onfido's ISO 3166-1 alpha-3 country (`GBR`) → our alpha-2 (`GB`). Alpha-2 input is kept when valid.
 * Anything else (`null`, an unknown code) becomes `undefined`, so a strange value is dropped instead
 * of breaking the model.
 */
export function onfidoCountryToAlpha2(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const code = value.trim().toUpperCase()
  if (code.length === 3) return userAssignedAlpha3[code] ?? countries.alpha3ToAlpha2(code)
  if (code.length === 2 && (countries.isValid(code) || userAssignedAlpha2[code] !== undefined)) return code
  return undefined
}

/** Our alpha-2 (`GB`) → Onfido's alpha-3 (`GBR`); `undefined` when it is not a known country. */
export function alpha2ToOnfidoCountry(value: string): string | undefined {
  const code = value.trim().toUpperCase()
  return userAssignedAlpha2[code] ?? countries.alpha2ToAlpha3(code)
}
