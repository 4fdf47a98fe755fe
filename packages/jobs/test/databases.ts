import { randomUUID } from 'node:crypto'
import { openDatabase, type SqlExecutor } from '@openkyc/postgres'

/** The databases every test runs on: PGlite always, the server when DATABASE_URL is set. */
export type TestDatabase = {
  name: 'pglite' | 'server'
  url?: string
  open: () => Promise<SqlExecutor>
}

/** One entry per database available to this run. */
export function testDatabases(): TestDatabase[] {
  const url = process.env.DATABASE_URL
  const databases: TestDatabase[] = [{ name: 'pglite', open: () => openDatabase() }]
  if (url !== undefined && url !== '') {
    databases.push({ name: 'server', url, open: () => openDatabase({ url, maxConnections: 4 }) })
  }
  return databases
}

/** A schema name no other test uses. */
export function freshSchema(): string {
  return `jobs_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`
}
