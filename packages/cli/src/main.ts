import { Command, CommanderError } from 'commander'
import { registerArchiveCommands } from './archive/archive-commands.js'
import { registerBulkCommands } from './commands/bulk.js'
import { registerConformance } from './conformance/conformance-command.js'
import { registerDoctor } from './doctor/doctor-command.js'
import { registerListsCommands } from './lists/lists-import-command.js'
import { type CliIo, line } from './output.js'
import { registerStoreCommands } from './store/store-commands.js'

/** Exit codes: 0 success, 1 a problem was found or a command failed, 2 wrong usage. */
export type CliExitCode = 0 | 1 | 2

/**
 * Runs the `openkyc` command line with the given arguments (without `node` and the script) and
 * environment, and returns the exit code. Never throws: failures are one line on stderr.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli({ argv: process.argv.slice(2), env: process.env, stdout: process.stdout, stderr: process.stderr })
 * ```
 */
export async function runCli(io: CliIo): Promise<CliExitCode> {
  let exitCode: CliExitCode = 0
  const program = new Command('openkyc')
    .description(
      'Operate an OpenKYC deployment. Configured by the environment: KYC_PROVIDER, vendor settings, DATABASE_URL.',
    )
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showHelpAfterError('(run openkyc --help for usage)')
  const setExitCode = (code: number) => {
    exitCode = code as CliExitCode
  }
  registerDoctor(program, io, setExitCode)
  registerStoreCommands(program, io, setExitCode)
  registerArchiveCommands(program, io, setExitCode)
  registerListsCommands(program, io, setExitCode)
  registerConformance(program, io, setExitCode)
  registerBulkCommands(program, io, setExitCode)
  try {
    await program.parseAsync([...io.argv], { from: 'user' })
    return exitCode
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0
      // `openkyc` alone prints the help to stderr: still a usage error.
      return 2
    }
    line(io.stderr, `error: ${error instanceof Error ? `unexpected ${error.name}` : 'unexpected failure'}`)
    return 1
  }
}
