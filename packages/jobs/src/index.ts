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
  type BulkAdapter,
  type BulkEvidence,
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
export {
  createErasure,
  type DeletedVerification,
  type DeletionJob,
  type EraseSubjectOptions,
  type Erasure,
  ErasureIncompleteError,
  type ErasureOptions,
  type ErasureReceipt,
  type ErasureRetryOptions,
  erasureReceipt,
  type LocalRedactionResult,
  requestErasure,
  type VendorDeletionResult,
  workErasures,
} from './erasure.js'
export { jobsMigrations } from './jobs-migrations.js'
export {
  type ClusterRateLimiterOptions,
  createClusterRateLimiter,
  vendorRateLimits,
  vendorStartLimits,
} from './rate-limit.js'
export {
  createReconciler,
  type ReconcileCounts,
  type Reconciler,
  type ReconcilerOptions,
  type ReconcileSummary,
  scheduleReconciler,
} from './reconcile.js'
export {
  createRetention,
  type Retention,
  type RetentionOptions,
  type RetentionRule,
  type RetentionSummary,
  scheduleRetention,
} from './retention.js'
export type { RecurringJob, RecurringJobOptions, VerificationJobOptions } from './verification-jobs.js'
