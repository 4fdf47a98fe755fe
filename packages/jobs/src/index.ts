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
export {
  type BulkItem,
  type BulkItemResult,
  type BulkItemState,
  type BulkRuns,
  type BulkRunsOptions,
  type BulkStatus,
  bulkItemKind,
  createBulkRuns,
} from './bulk.js'
export { parseBulkCsv } from './bulk-csv.js'
export { jobsMigrations } from './jobs-migrations.js'
export {
  type ClusterRateLimiterOptions,
  createClusterRateLimiter,
  vendorRateLimits,
  vendorStartLimits,
} from './rate-limit.js'
