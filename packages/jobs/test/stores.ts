import type { KycStore } from '@openkyc/core'
import { createPostgresStore, migrate, type SqlExecutor } from '@openkyc/postgres'
import { afterAll, beforeAll } from 'vitest'
import { freshSchema, type TestDatabase } from './databases.js'

/**
 * One database for a describe block (PGlite boots in seconds on a loaded machine, so once per file
 * and database), and a migrated store in a fresh schema for each test.
 */
export function useTestStores(target: TestDatabase) {
  let database: SqlExecutor | undefined
  beforeAll(async () => {
    database = await target.open()
  })
  afterAll(async () => {
    await database?.close()
  })
  return {
    /** A store in a schema no other test uses. */
    async open(): Promise<KycStore<never>> {
      if (database === undefined) throw new Error('useTestStores: the database is not open yet')
      const schema = freshSchema()
      await migrate(database, { schema })
      return (await createPostgresStore({ database, schema })) as unknown as KycStore<never>
    },
    /** The shared database, for the pg-boss tests. */
    database(): SqlExecutor {
      if (database === undefined) throw new Error('useTestStores: the database is not open yet')
      return database
    },
  }
}
