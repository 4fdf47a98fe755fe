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
  /**
   * Settle the heap around every timed batch (needs `--expose-gc`): a young-generation collection before
   * each batch, outside the timing, so every batch starts with an empty young generation whatever the other
   * side left; and one at the end of each batch, inside the timing, so each batch pays for collecting its own
   * short-lived allocations (and promoting what it keeps) whether or not a scavenge happened to fall inside
   * it. The old generation is left to V8 (a full collection deoptimizes code, see `settledHeapBytes`): when
   * it reaches V8's limit, V8 marks it incrementally, in steps inside whichever batches run next (a few
   * rounds in a row, both sides, 4–6× their usual time; the medians hold, totals do not). The settled heap
   * also gives each side's heap growth per operation ({@link InterleavedResult.heapGrowth}).
   * Default false (the heap is left to itself).
   */
  settleHeap?: boolean
  /**
   * Called after every timed batch, warm-up included, with what it measured (see {@link BlockRecord}):
   * for a per-block analysis of a comparison (which position, which side, when it ran). Outside the timing.
   */
  onBlock?: (block: BlockRecord) => void
}

/** One timed batch of {@link compareInterleaved}, as given to {@link InterleavedOptions.onBlock}. */
export type BlockRecord = {
  /** The round, counting warm-up rounds from 0; a round is measured when `round >= warmupRounds`. */
  round: number
  side: 'subject' | 'baseline'
  /** 0 when this side ran first in its round, 1 when second. */
  position: 0 | 1
  /** `performance.now()` when the batch started and when its timing ended (after its young-generation collection). */
  startedAt: number
  endedAt: number
  /** Per operation, on the chosen clock and on this process's CPU time, in milliseconds. */
  time: number
  cpu: number
  /** With `settleHeap`: the settled heap's growth across the batch, per operation, in bytes (else 0). */
  heapGrowth: number
}

/** `globalThis.gc` when Node runs with `--expose-gc`; {@link compareInterleaved} with `settleHeap` needs it. */
type ExposedGc = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void

function exposedGc(): ExposedGc {
  const gc = (globalThis as { gc?: ExposedGc }).gc
  if (gc === undefined)
    throw new Error('settleHeap needs the garbage collector exposed: run node with --expose-gc.')
  return gc
}

/**
 * Whether V8 runs its garbage collector on the main thread only (`--single-threaded-gc`, on the command
 * line or in `NODE_OPTIONS`). Node 20 has no per-thread CPU clock (`process.threadCpuUsage` came later),
 * so this is what makes {@link processCpuMilliseconds} count the collector's work without the
 * scheduling noise of its helper threads.
 */
export function garbageCollectorOnMainThread(): boolean {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)]
  return flags.includes('--single-threaded-gc')
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
  cpu: { subjectMs: Summary; baselineMs: Summary; ratio: Summary; totalRatio: number }
  /**
   * With `settleHeap`: bytes of heap each side's operations left, per operation: the median over its
   * measured batches of the settled heap's growth across the batch ÷ its operations (a median, as the
   * settled heap sometimes shrinks when V8 drops compiled code or shrinks a table). The heap is settled by
   * young-generation collections, so this also counts what was promoted and died later; for the live
   * bytes alone, see {@link heapKeptPerOperation}. Undefined otherwise.
   */
  heapGrowth?: { subjectBytes: number; baselineBytes: number }
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0)

/**
 * The heap in use after a young-generation collection, in bytes (outside any timing): where the next batch
 * starts. Not a full collection, on purpose: on Node 20 (V8 11.3) a full one (`gc()`) deoptimizes the optimized
 * code whose weakly held objects died (about 190 functions of a Persona create), so the next batch ran 2–3×
 * slower while it re-optimized, and measured that instead of the steady state. (`gc({ type: 'major' })`, used
 * here until 2026-12-06, runs a young-generation collection on this V8: any options object does.)
 */
function settledHeapBytes(gc: ExposedGc): number {
  gc({ type: 'minor' })
  return process.memoryUsage().heapUsed
}

/**
 * One batch's time per operation, on the chosen clock and on this process's CPU time. With `gc`, the
 * batch (which starts from a settled heap) ends with a young-generation collection inside the timing,
 * and is settled again outside it: `settledAfter` is the heap it leaves, in bytes (0 without `gc`),
 * where the next batch starts.
 */
async function timeBatch(
  run: (index: number) => Promise<unknown>,
  batch: number,
  offset: number,
  clock: () => number,
  gc: ExposedGc | undefined,
): Promise<{ time: number; cpu: number; settledAfter: number; startedAt: number; endedAt: number }> {
  const startedAt = performance.now()
  const cpuStarted = processCpuMilliseconds()
  const started = clock()
  for (let index = 0; index < batch; index += 1) await run(offset + index)
  gc?.({ type: 'minor' })
  const time = (clock() - started) / batch
  const cpu = (processCpuMilliseconds() - cpuStarted) / batch
  const endedAt = performance.now()
  return { time, cpu, settledAfter: gc === undefined ? 0 : settledHeapBytes(gc), startedAt, endedAt }
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
  const gc = options.settleHeap === true ? exposedGc() : undefined
  let settled = gc === undefined ? 0 : settledHeapBytes(gc)
  const subjectGrowth: number[] = []
  const baselineGrowth: number[] = []
  let offset = 0
  for (let round = 0; round < options.warmupRounds + options.rounds; round += 1) {
    const subjectFirst = round % 2 === 0
    let subject = { time: 0, cpu: 0, heapGrowth: 0 }
    let baseline = { time: 0, cpu: 0, heapGrowth: 0 }
    for (const side of subjectFirst ? ['subject', 'baseline'] : ['baseline', 'subject']) {
      if (options.between !== undefined) {
        await options.between()
        if (gc !== undefined) settled = settledHeapBytes(gc)
      }
      const run = side === 'subject' ? options.subject : options.baseline
      const timed = await timeBatch(run, options.batch, offset, clock, gc)
      const measured = {
        time: timed.time,
        cpu: timed.cpu,
        heapGrowth: (timed.settledAfter - settled) / options.batch,
      }
      settled = timed.settledAfter
      options.onBlock?.({
        round,
        side: side as 'subject' | 'baseline',
        position: (side === 'subject') === subjectFirst ? 0 : 1,
        startedAt: timed.startedAt,
        endedAt: timed.endedAt,
        ...measured,
      })
      if (side === 'subject') subject = measured
      else baseline = measured
    }
    offset += options.batch
    if (round < options.warmupRounds) continue
    subjectTimes.push(subject.time)
    baselineTimes.push(baseline.time)
    ratios.push(subject.time / baseline.time)
    subjectCpu.push(subject.cpu)
    baselineCpu.push(baseline.cpu)
    cpuRatios.push(subject.cpu / baseline.cpu)
    subjectGrowth.push(subject.heapGrowth)
    baselineGrowth.push(baseline.heapGrowth)
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
      totalRatio: sum(subjectCpu) / sum(baselineCpu),
    },
    ...(gc === undefined
      ? {}
      : {
          heapGrowth: {
            subjectBytes: summarize(subjectGrowth).median,
            baselineBytes: summarize(baselineGrowth).median,
          },
        }),
  }
}

/**
 * Live heap each operation keeps, in bytes: the growth of the heap across `operations` sequential calls of
 * `run`, each end measured after a full collection (needs `--expose-gc`), ÷ `operations`. Untimed, and
 * meant to run after any timing: a full collection deoptimizes code (see `settledHeapBytes`).
 *
 * @example
 * ```ts
 * const bytes = await heapKeptPerOperation((index) => client.createVerification({ subjectReference: `s-${index}` }), 1000)
 * ```
 */
export async function heapKeptPerOperation(
  run: (index: number) => Promise<unknown>,
  operations: number,
  offset = 0,
): Promise<number> {
  const gc = exposedGc()
  gc()
  const before = process.memoryUsage().heapUsed
  for (let index = 0; index < operations; index += 1) await run(offset + index)
  gc()
  return (process.memoryUsage().heapUsed - before) / operations
}
