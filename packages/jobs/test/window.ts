/** The most start times that fall in any half-open window `[t, t + windowMs)`, over sorted `times`. */
export function maxInAnyWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  let most = 0
  let first = 0
  for (let last = 0; last < sorted.length; last++) {
    while (sorted[last]! - sorted[first]! >= windowMs) first++
    most = Math.max(most, last - first + 1)
  }
  return most
}

/**
 * How much of a saturated budget `times` used, as a fraction of `requests` per `windowMs`: the
 * (k·requests + 1)-th start comes k windows after the first, for the largest k the starts cover.
 */
export function fractionOfLimit(times: readonly number[], requests: number, windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  const windows = Math.floor((sorted.length - 1) / requests)
  if (windows < 1) throw new RangeError('fractionOfLimit needs more than one window of starts')
  const achieved = (windows * requests) / (sorted[windows * requests]! - sorted[0]!)
  return achieved / (requests / windowMs)
}
