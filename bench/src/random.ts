/**
 * A seeded pseudo-random source in `[0, 1)` (mulberry32). Benchmarks and the reliability suite draw
 * every fault, shuffle and jitter from one of these, so a run can be repeated exactly from its seed.
 *
 * @example
 * ```ts
 * const random = createSeededRandom(42)
 * if (random() < 0.1) injectFault()
 * ```
 */
export function createSeededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let value = state
    value = Math.imul(value ^ (value >>> 15), value | 1)
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61)
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** A Fisher–Yates shuffle of a copy of `items`, driven by `random`, so the order is reproducible. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items]
  for (let index = copy.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1))
    const held = copy[index]!
    copy[index] = copy[other]!
    copy[other] = held
  }
  return copy
}

/** One element of `items`, chosen by `random`. */
export function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)]!
}
