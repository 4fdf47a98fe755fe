import type { Command } from 'commander'
import { type CliIo, line, printJson } from '../output.js'
import type { DoctorCheck } from './doctor-check.js'
import { runDoctor } from './run-doctor.js'

const marks: Record<DoctorCheck['status'], string> = { ok: 'ok     ', problem: 'PROBLEM', skipped: 'skipped' }

/** One human line per check: status, what it is about, and what to do. */
export function formatCheck(check: DoctorCheck): string {
  const scope = check.provider === undefined ? check.check : `${check.provider} ${check.check}`
  return `${marks[check.status]}  ${scope}: ${check.message}`
}

/** Registers `openkyc doctor`. The exit code is 1 when a check found a problem. */
export function registerDoctor(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  program
    .command('doctor')
    .description(
      'check the configuration in the environment: provider choice, settings, credentials (one harmless read), webhook secret and callback URL rules, clock skew, database URL',
    )
    .option('--json', 'print the report as JSON')
    .option('--timeout <ms>', 'how long the credentials call may take', '15000')
    .action(async (options: { json?: boolean; timeout: string }) => {
      const timeoutMs = Number(options.timeout)
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
        line(io.stderr, 'error: --timeout must be a positive number of milliseconds')
        setExitCode(2)
        return
      }
      const report = await runDoctor({ env: io.env, timeoutMs })
      if (options.json) printJson(io, report)
      else {
        for (const check of report.checks) line(io.stdout, formatCheck(check))
        const problems = report.checks.filter((check) => check.status === 'problem').length
        line(
          io.stdout,
          problems === 0 ? 'No problems found.' : `${problems} problem${problems === 1 ? '' : 's'} found.`,
        )
      }
      setExitCode(report.ok ? 0 : 1)
    })
}
