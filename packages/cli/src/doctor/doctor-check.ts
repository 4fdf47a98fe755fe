/** How one doctor check ended. */
export type DoctorCheckStatus = 'ok' | 'problem' | 'skipped'

/**
 * One line of the doctor's report. `message` names what to set or fix, never a setting's value
 * (secrets and URLs with credentials stay out of terminals and CI logs).
 */
export type DoctorCheck = {
  /** A stable id: `settings` (incl. the Jumio callback URL rule), `credentials`, `webhook-secret`, `clock`, `provider`, `database`. */
  check: string
  /** The provider the check is about, when it is about one. */
  provider?: string
  status: DoctorCheckStatus
  message: string
}

/** The doctor's whole report, as `openkyc doctor --json` prints it. */
export type DoctorReport = {
  /** True when no check found a problem. */
  ok: boolean
  checks: DoctorCheck[]
}

/** Environment variables as `process.env` holds them. */
export type Environment = Readonly<Record<string, string | undefined>>
