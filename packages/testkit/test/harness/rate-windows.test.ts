import { describe, expect, it } from 'vitest'
import { fractionOfLimit, peakInAnyWindow } from '../../src/harness/index.js'

describe('peakInAnyWindow', () => {
  it('finds the busiest window wherever it starts, half-open, in any order', () => {
    // Fixed windows of 1,000 ms would each hold 2 of these; the window [900, 1,900) holds 4.
    expect(peakInAnyWindow([1_800, 100, 900, 1_000, 1_100, 2_500], 1_000)).toBe(4)
    // [0, 1,000) does not hold 1,000.
    expect(peakInAnyWindow([0, 1_000], 1_000)).toBe(1)
    expect(peakInAnyWindow([], 1_000)).toBe(0)
  })
})

describe('fractionOfLimit', () => {
  it('scores evenly spaced arrivals at exactly the limit as 1, and slower ones below it', () => {
    const atLimit = Array.from({ length: 21 }, (_, index) => index * 100) // 10 per 1,000 ms
    expect(fractionOfLimit(atLimit, 10, 1_000)).toBeCloseTo(1, 10)
    const slower = Array.from({ length: 21 }, (_, index) => index * 125)
    expect(fractionOfLimit(slower, 10, 1_000)).toBeCloseTo(0.8, 10)
    expect(() => fractionOfLimit([0, 1], 10, 1_000)).toThrow(RangeError)
  })
})
