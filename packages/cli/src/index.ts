/**
 * `@openkyc/cli`: the `openkyc` command line, and the functions behind it for use from code.
 *
 * @packageDocumentation
 */
export { createArchivedResponsesFetch, openArchivedResponses } from './archive/archived-responses-fetch.js'
export {
  type BacktestDifference,
  type BacktestOptions,
  type BacktestReport,
  backtestArchivedDeliveries,
} from './archive/backtest-archived-deliveries.js'
export {
  type ArchivedAdapterFactory,
  type OpenArchivedDeliveriesOptions,
  openArchivedDeliveries,
  type ReplayArchivedDeliveriesOptions,
  type ReplayedDelivery,
  replayArchivedDeliveries,
} from './archive/replay-archived-deliveries.js'
export type { DoctorCheck, DoctorCheckStatus, DoctorReport, Environment } from './doctor/doctor-check.js'
export { type DoctorProvider, doctorProviders } from './doctor/doctor-providers.js'
export { type RunDoctorOptions, runDoctor } from './doctor/run-doctor.js'
export {
  databaseUrlProblem,
  personaWebhookSecretsProblem,
} from './doctor/setting-rules.js'
export { type CliExitCode, runCli } from './main.js'
export type { CliIo } from './output.js'
