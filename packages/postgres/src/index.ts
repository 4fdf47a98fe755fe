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
export { type OpenPostgresStoreOptions, openPostgresStore } from './open-postgres-store.js'
export {
  createPostgresStore,
  type PostgresStore,
  type PostgresStoreOptions,
  type PostgresTransactionHandle,
} from './postgres-store.js'
export { quoteIdentifier } from './sql.js'
