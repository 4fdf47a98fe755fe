import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { type CliRun, runToCompletion } from './support/run-cli.js'

/** The repository root, where a newcomer types `pnpm demo`. */
const root = fileURLToPath(new URL('../../../', import.meta.url))

function runPnpm(args: readonly string[]): Promise<CliRun> {
  return runToCompletion('pnpm', args, { cwd: root })
}

// Runs the root command itself (build included), so it lives with the end-to-end tests, not `pnpm test`.
describe('pnpm demo, from the repository root', () => {
  it('says it is building, then refuses a bad flag with exit code 2 and one error line', async () => {
    const run = await runPnpm(['demo', '--bogus'])
    expect(run.code).toBe(2)
    const output = `${run.stdout}\n${run.stderr}`
    expect(run.stderr).toContain('Building the demo and the packages it uses')
    const errors = output
      .split('\n')
      .filter((line) => /error/i.test(line) && !line.startsWith('[ELIFECYCLE]'))
    expect(errors).toEqual(["error: Unknown option '--bogus'. Run with --help for usage."])
    expect(output).not.toContain('ERR_PNPM')
  }, 300_000)
})
