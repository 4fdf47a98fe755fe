/** Summary statistics of a sample: the median, the quartiles (`p25`–`p75`, the IQR), `p10`/`p90` and the extremes. */
export type Summary = {
  median: number
  p10: number
  p25: number
  p75: number
  p90: number
  min: number
  max: number
  samples: number
}

/** The median, quartiles, 10th/90th percentiles and extremes of `values`. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) {
    const none = Number.NaN
    return { median: none, p10: none, p25: none, p75: none, p90: none, min: none, max: none, samples: 0 }
  }
  const sorted = [...values].sort((left, right) => left - right)
  const at = (fraction: number) => {
    const position = (sorted.length - 1) * fraction
    const lower = Math.floor(position)
    const upper = Math.ceil(position)
    return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower)
  }
  return {
    median: at(0.5),
    p10: at(0.1),
    p25: at(0.25),
    p75: at(0.75),
    p90: at(0.9),
    min: sorted[0]!,
    max: sorted.at(-1)!,
    samples: sorted.length,
  }
}

/** `median (IQR p25–p75, min–max, n rounds)` of a ratio summary, for a benchmark's notes. */
export function describeSpread(summary: Summary): string {
  const digits = (value: number) => value.toFixed(3)
  return `${digits(summary.median)} (IQR ${digits(summary.p25)}–${digits(summary.p75)}, min–max ${digits(summary.min)}–${digits(summary.max)}, ${summary.samples} rounds)`
}

/** Options of {@link compareInterleaved}. */
export type InterleavedOptions = {
  /** The measured side (the adapter). Called once per operation. */
  subject: (index: number) => Promise<unknown>
  /** The baseline side. Called once per operation, with the same indexes. */
  baseline: (index: number) => Promise<unknown>
  /** Rounds measured; each round times `batch` operations of each side. */
  rounds: number
  /** Rounds run first and thrown away (JIT warm-up, caches). */
  warmupRounds: number
  /** Operations per side per round. */
  batch: number
  /** Called between timed batches (outside the timing), e.g. to move a simulator clock. */
  between?: () => Promise<void> | void
  /**
   * The clock, in milliseconds. Default `performance.now` (wall time). Pass {@link processCpuMilliseconds}
   * for work that never waits (in-process simulators): the process's own CPU time leaves out the time
   * other processes on a loaded machine take from it, which wall time charges to whichever side ran.
   */
  clock?: () => number
}

/**
 * This process's CPU time (user + system, every thread) in milliseconds: a clock for
 * {@link compareInterleaved} that other processes' load does not move.
 */
export function processCpuMilliseconds(): number {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}

/** What {@link compareInterleaved} measured: milliseconds per operation, and the subject ÷ baseline ratio. */
export type InterleavedResult = {
  subjectMs: Summary
  baselineMs: Summary
  /** Per-round ratio of subject time to baseline time. */
  ratio: Summary
  /** The subject's total time over every measured round ÷ the baseline's: each round's outliers weigh in by their size. */
  totalRatio: number
  /**
   * The same batches on this process's CPU time ({@link processCpuMilliseconds}), whatever `clock`
   * is: milliseconds per operation and the per-round ratios. Other processes on a loaded machine
   * move wall time, not this.
   */
  cpu: { subjectMs: Summary; baselineMs: Summary; ratio: Summary }
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0)

/** One batch's time per operation, on the chosen clock and on this process's CPU time. */
async function timeBatch(
  run: (index: number) => Promise<unknown>,
  batch: number,
  offset: number,
  clock: () => number,
): Promise<{ time: number; cpu: number }> {
  const cpuStarted = processCpuMilliseconds()
  const started = clock()
  for (let index = 0; index < batch; index += 1) await run(offset + index)
  const time = (clock() - started) / batch
  return { time, cpu: (processCpuMilliseconds() - cpuStarted) / batch }
}

/**
 * Times two implementations of the same work in alternating batches (A then B, then B then A, …),
 * so that drift in machine speed, garbage collection and JIT state hits both sides alike. Reports
 * the median per-operation time of each and the median of the per-round ratios.
 *
 * @example
 * ```ts
 * const result = await compareInterleaved({ subject: runAdapterFlow, baseline: runHandFlow, rounds: 30, warmupRounds: 5, batch: 10 })
 * console.log(result.ratio.median) // 1.04: the adapter costs 4 % more than a bare client
 * ```
 */
export async function compareInterleaved(options: InterleavedOptions): Promise<InterleavedResult> {
  const subjectTimes: number[] = []
  const baselineTimes: number[] = []
  const ratios: number[] = []
  const subjectCpu: number[] = []
  const baselineCpu: number[] = []
  const cpuRatios: number[] = []
  const clock = options.clock ?? (() => performance.now())
  let offset = 0
  for (let round = 0; round < options.warmupRounds + options.rounds; round += 1) {
    const subjectFirst = round % 2 === 0
    let subject = { time: 0, cpu: 0 }
    let baseline = { time: 0, cpu: 0 }
    for (const side of subjectFirst ? ['subject', 'baseline'] : ['baseline', 'subject']) {
      await options.between?.()
      if (side === 'subject') subject = await timeBatch(options.subject, options.batch, offset, clock)
      else baseline = await timeBatch(options.baseline, options.batch, offset, clock)
    }
    offset += options.batch
    if (round < options.warmupRounds) continue
    subjectTimes.push(subject.time)
    baselineTimes.push(baseline.time)
    ratios.push(subject.time / baseline.time)
    subjectCpu.push(subject.cpu)
    baselineCpu.push(baseline.cpu)
    cpuRatios.push(subject.cpu / baseline.cpu)
  }
  return {
    subjectMs: summarize(subjectTimes),
    baselineMs: summarize(baselineTimes),
    ratio: summarize(ratios),
    totalRatio: sum(subjectTimes) / sum(baselineTimes),
    cpu: {
      subjectMs: summarize(subjectCpu),
      baselineMs: summarize(baselineCpu),
      ratio: summarize(cpuRatios),
    },
  }
}
