/** One reported number. */
export type Figure = {
  /** What was measured, in words. */
  name: string
  value: number
  unit: string
  /** The same quantity for the baseline, measured in the same run. */
  baseline?: number
  /** `value ÷ baseline` (or the ratio the goal is stated in). */
  ratio?: number
  /** The goal in words, such as `ratio ≤ 1.10`. */
  goal?: string
  /** Whether the goal was met; absent for figures without a goal. */
  met?: boolean
}

/** One benchmark's figures and the facts needed to read them. */
export type BenchmarkResult = {
  id: string
  title: string
  /** What the baseline is, so the ratio can be read. */
  baseline: string
  figures: Figure[]
  notes: string[]
  /** Wall-clock seconds the benchmark took. */
  durationSeconds: number
}

/** The whole run, as written to `results.json`. */
export type BenchmarkRun = {
  generatedAt: string
  node: string
  platform: string
  cpus: number
  cpuModel: string
  benchmarks: BenchmarkResult[]
}

/** A number for the table: at most four significant digits, thousands separated. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined) return ''
  if (!Number.isFinite(value)) return String(value)
  const rounded =
    Math.abs(value) >= 100
      ? Math.round(value)
      : Number.parseFloat(value.toPrecision(Math.abs(value) >= 1 ? 3 : 2))
  return rounded.toLocaleString('en-US', { maximumFractionDigits: 4 })
}

/** The run as a plain-text table, one row per figure. */
export function formatTable(run: BenchmarkRun): string {
  const header = ['benchmark', 'figure', 'value', 'unit', 'baseline', 'ratio', 'goal', 'met']
  const rows: string[][] = []
  for (const benchmark of run.benchmarks) {
    for (const figure of benchmark.figures) {
      rows.push([
        benchmark.id,
        figure.name,
        formatNumber(figure.value),
        figure.unit,
        formatNumber(figure.baseline),
        formatNumber(figure.ratio),
        figure.goal ?? '',
        figure.met === undefined ? '' : figure.met ? 'yes' : 'NO',
      ])
    }
  }
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  )
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd()
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n')
}
