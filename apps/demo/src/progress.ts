import cliProgress from 'cli-progress'
import type { CatalogueProgress } from './run-catalogue.js'

/** A progress display for a catalogue run. */
export type ProgressReporter = {
  start(total: number): void
  update(progress: CatalogueProgress): void
  stop(): void
}

/**
 * A progress bar on stderr (cli-progress), so stdout stays clean for the table or `--json`. It draws
 * only on a terminal; in a pipe or a CI log it stays silent.
 *
 * @example
 * ```ts
 * const progress = createProgressBar(process.stderr)
 * progress.start(22)
 * ```
 */
export function createProgressBar(stream: NodeJS.WritableStream): ProgressReporter {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'Running the catalogue [{bar}] {value}/{total}  {provider}: {scenario}',
      hideCursor: true,
      clearOnComplete: true,
      barsize: 24,
    },
    cliProgress.Presets.shades_classic,
  )
  return {
    start: (total) => bar.start(total, 0, { provider: '', scenario: '' }),
    update: ({ completed, provider, scenario }) => bar.update(completed, { provider, scenario: scenario.id }),
    stop: () => bar.stop(),
  }
}
