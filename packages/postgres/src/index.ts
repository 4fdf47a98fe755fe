export {
  AuditActorSchema,
  type AuditChainReport,
  type AuditEntry,
  AuditEntrySchema,
  type AuditRecord,
  auditGenesisHash,
  canonicalJson,
  chainAuditHash,
} from './audit.js'
export {
  createPgliteExecutor,
  createServerExecutor,
  type SqlExecutor,
  type SqlStatement,
  type SqlValue,
} from './executor.js'
export {
  assertMigrated,
  latestMigrationVersion,
  type MigrateOptions,
  type MigrateResult,
  type Migration,
  migrate,
  migrations,
} from './migrations.js'
export { type OpenDatabaseOptions, openDatabase } from './open-database.js'
export {
  type AppliedVerification,
  createPostgresStore,
  type InboxClaim,
  type PersistedEvent,
  type PostgresStore,
  type PostgresStoreOperations,
  type PostgresStoreOptions,
  type PostgresStoreTransaction,
  type ProcessEventResult,
} from './postgres-store.js'
