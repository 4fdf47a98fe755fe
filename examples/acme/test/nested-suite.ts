import { fileURLToPath } from 'node:url'
import type { RunnerTestCase, RunnerTestSuite } from 'vitest'
import { startVitest } from 'vitest/node'

/** One test of a nested run: the conformance suite it belongs to, its title and how it ended. */
export type NestedOutcome = { suite: string; title: string; state: string | undefined }

function collect(
  tasks: readonly (RunnerTestCase | RunnerTestSuite)[] | undefined,
  suite: string | undefined,
  into: NestedOutcome[],
): NestedOutcome[] {
  for (const task of tasks ?? []) {
    if (task.type === 'suite')
      collect(task.tasks as (RunnerTestCase | RunnerTestSuite)[], suite ?? task.name, into)
    else into.push({ suite: suite ?? '', title: task.name, state: task.result?.state ?? task.mode })
  }
  return into
}

/**
 * Runs fixture files (conformance suites registered against deliberately wrong adapters or drivers)
 * in a nested Vitest, and returns how each test ended, so a test can prove the suite fails them.
 */
export async function runNestedSuites(include: readonly string[]): Promise<NestedOutcome[]> {
  const exitCode = process.exitCode
  const vitest = await startVitest('test', [], {
    root: fileURLToPath(new URL('..', import.meta.url)),
    config: false,
    include: [...include],
    watch: false,
    reporters: [{}],
  })
  process.exitCode = exitCode
  return vitest.state
    .getFiles()
    .flatMap((file) => collect(file.tasks as (RunnerTestCase | RunnerTestSuite)[], undefined, []))
}

/** The end state of the test with id `id` in the suite named `name` (`adapter conformance: name`). */
export function stateIn(outcomes: readonly NestedOutcome[], name: string, id: string): string | undefined {
  return outcomes.find(
    (outcome) => outcome.suite === `adapter conformance: ${name}` && outcome.title.endsWith(`[${id}]`),
  )?.state
}
