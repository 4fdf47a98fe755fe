/**
 * How a vendor's rate limit looks from its side: every window of `windowMs`, wherever it starts,
 * counted at arrival. Simulators count in fixed windows (as Persona and Onfido document); a client
 * that stays within the limit in every sliding window stays within it however the vendor aligns its
 * windows, so this is what tests of rate limiters assert.
 */

/**
 * The most `times` (milliseconds, any order) that fall in one half-open window `[t, t + windowMs)`,
 * over every `t`: the peak a vendor counting at arrival would see.
 *
 * @example
 * ```ts
 * const arrivals = simulator.requests.map((request) => Date.parse(request.at))
 * expect(peakInAnyWindow(arrivals, 60_000)).toBeLessThanOrEqual(300)
 * ```
 */
export function peakInAnyWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  let peak = 0
  let first = 0
  for (let last = 0; last < sorted.length; last++) {
    while (sorted[last]! - sorted[first]! >= windowMs) first++
    peak = Math.max(peak, last - first + 1)
  }
  return peak
}

/**
 * How much of a saturated budget of `requests` per `windowMs` the `times` used, as a fraction of
 * it: the (k·requests + 1)-th arrival comes k windows after the first, for the largest k the
 * arrivals cover (a client at exactly the limit scores 1). Needs more than `requests` arrivals.
 *
 * @example
 * ```ts
 * expect(fractionOfLimit(creationTimes, 150, 60_000)).toBeGreaterThanOrEqual(0.95)
 * ```
 */
export function fractionOfLimit(times: readonly number[], requests: number, windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  const windows = Math.floor((sorted.length - 1) / requests)
  if (windows < 1) throw new RangeError('fractionOfLimit needs more arrivals than one window holds')
  const achieved = (windows * requests) / (sorted[windows * requests]! - sorted[0]!)
  return achieved / (requests / windowMs)
}
