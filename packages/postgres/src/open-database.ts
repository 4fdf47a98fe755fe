import { mkdir } from 'node:fs/promises'
import { KycConfigurationError } from '@openkyc/core'
import { storeName } from './errors.js'
import { createPgliteExecutor, createServerExecutor, type SqlExecutor } from './executor.js'

/** Options for {@link openDatabase}. */
export type OpenDatabaseOptions = {
  /**
   * A PostgreSQL server URL (`postgres://user:password@host:5432/database`). When given, the store
   * talks to that server through a connection pool; when absent, it runs PGlite in this process.
   * Read `process.env.DATABASE_URL` yourself and pass it here: the package never reads the environment.
   */
  url?: string
  /**
   * PGlite only: a directory to keep the database in (created when missing). Absent: in memory, gone
   * when the process ends. PGlite is for development, tests, demos and single processes; see the README.
   */
  dataDir?: string
  /** Server only: connections in the pool. Default 10. */
  maxConnections?: number
  /** Server only: the longest one statement (including waiting for a lock) may run. Default 10 s. */
  statementTimeoutMs?: number
  /**
   * Server only: a transaction left idle this long (a hung handler, a frozen process) is ended by the
   * server, releasing its locks. Default 60 s.
   */
  idleInTransactionTimeoutMs?: number
}

/**
 * Opens the database the store runs on: a PostgreSQL server when `url` is given, otherwise PGlite
 * (in memory, or in `dataDir`). The drivers are loaded only when used.
 *
 * @example
 * ```ts
 * const database = await openDatabase({ url: process.env.DATABASE_URL, dataDir: '.openkyc/db' })
 * await migrate(database)
 * const store = await createPostgresStore({ database })
 * ```
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<SqlExecutor> {
  if (options.url !== undefined && options.url !== '') {
    if (!/^postgres(ql)?:\/\//.test(options.url)) {
      throw new KycConfigurationError({
        provider: storeName,
        message:
          'The database URL must start with postgres:// or postgresql:// (set DATABASE_URL, or leave it unset for PGlite).',
      })
    }
    const { default: postgres } = await import('postgres')
    const sql = postgres(options.url, {
      max: options.maxConnections ?? 10,
      onnotice: () => {},
      connection: {
        application_name: 'openkyc',
        statement_timeout: options.statementTimeoutMs ?? 10_000,
        idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 60_000,
      },
    })
    return createServerExecutor(sql)
  }
  const { PGlite } = await import('@electric-sql/pglite')
  // PGlite creates only the last directory: `.openkyc/db` in a fresh app failed with ENOENT.
  if (options.dataDir !== undefined && !options.dataDir.includes('://')) {
    await mkdir(options.dataDir, { recursive: true })
  }
  const database = await PGlite.create(options.dataDir)
  return createPgliteExecutor(database)
}
