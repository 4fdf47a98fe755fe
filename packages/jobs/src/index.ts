/**
 * `@openkyc/jobs`: OpenKYC work that outgrows one process, on pg-boss and `@openkyc/postgres`.
 *
 * @packageDocumentation
 */
export {
  defaultJobsSchema,
  type Jobs,
  migrateJobs,
  type OpenJobsOptions,
  openJobs,
  queueName,
  queuePrefix,
} from './boss.js'
export { jobsMigrations } from './jobs-migrations.js'
