import { migrate } from './migrations.js'
import { type OpenDatabaseOptions, openDatabase } from './open-database.js'
import { createPostgresStore, type PostgresStore, type PostgresStoreOptions } from './postgres-store.js'

/** Options for {@link openPostgresStore}: where the database is, and the store's own options. */
export type OpenPostgresStoreOptions = OpenDatabaseOptions &
  Omit<PostgresStoreOptions, 'database' | 'closeDatabase'> & {
    /**
     * Apply this package's migrations first (idempotent, under a lock). Default true; pass false when
     * migrations run as a deployment step (`migrate()` or `openkyc migrate`) and the application's
     * database user may not change the schema.
     */
    migrate?: boolean
  }

/**
 * Opens the database (a server when `url` is given, else PGlite in memory or in `dataDir`), applies
 * the migrations, and returns the store; `store.close()` closes the database too.
 *
 * @example
 * ```ts
 * const store = await openPostgresStore({ url: process.env.DATABASE_URL, dataDir: '.openkyc/db' })
 * const kyc = createKyc({ adapters: { persona: () => createPersona() }, store })
 * ```
 */
export async function openPostgresStore(options: OpenPostgresStoreOptions = {}): Promise<PostgresStore> {
  const { migrate: shouldMigrate = true, schema, ttlMs, ...databaseOptions } = options
  const database = await openDatabase(databaseOptions)
  try {
    if (shouldMigrate) await migrate(database, schema === undefined ? {} : { schema })
    return await createPostgresStore({
      database,
      closeDatabase: true,
      ...(schema === undefined ? {} : { schema }),
      ...(ttlMs === undefined ? {} : { ttlMs }),
    })
  } catch (error) {
    await database.close().catch(() => undefined)
    throw error
  }
}
