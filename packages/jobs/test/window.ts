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

/** The most times in one fixed window `[k·windowMs, (k + 1)·windowMs)`: how the Persona simulator counts. */
export function maxInFixedWindow(times: readonly number[], windowMs: number): number {
  const counts = new Map<number, number>()
  for (const time of times) {
    const window = Math.floor(time / windowMs)
    counts.set(window, (counts.get(window) ?? 0) + 1)
  }
  return Math.max(0, ...counts.values())
}
