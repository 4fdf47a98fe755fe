import countries from 'i18n-iso-countries'
import { describe, expect, it } from 'vitest'
import { alpha3FromCountryCode, countryCodeFromAlpha3, isCountryCode } from '../src/index.js'

describe('the ISO 3166-1 table in core', () => {
  const reference = Object.entries(countries.getAlpha2Codes())

  it('holds every country of i18n-iso-countries with the same alpha-3, and no other', () => {
    for (const [alpha2, alpha3] of reference) {
      expect(isCountryCode(alpha2), alpha2).toBe(true)
      expect(countryCodeFromAlpha3(alpha3), alpha3).toBe(alpha2)
      // Kosovo: documents print the user-assigned XKX; i18n-iso-countries lists XKK.
      expect(alpha3FromCountryCode(alpha2), alpha2).toBe(alpha2 === 'XK' ? 'XKX' : alpha3)
    }
    expect(reference).toHaveLength(250)
    expect(isCountryCode('XX')).toBe(false)
  })

  it('reads both codes in use for Kosovo and nothing that is not a country', () => {
    expect(countryCodeFromAlpha3('XKX')).toBe('XK')
    expect(countryCodeFromAlpha3('XKK')).toBe('XK')
    for (const value of ['XXX', 'deu', 'de', '', 'constructor', '__proto__', 'toString']) {
      expect(countryCodeFromAlpha3(value), value).toBeUndefined()
      expect(alpha3FromCountryCode(value), value).toBeUndefined()
    }
    // Each function reads its own kind of code only.
    expect(countryCodeFromAlpha3('DE')).toBeUndefined()
    expect(alpha3FromCountryCode('DEU')).toBeUndefined()
  })
})
