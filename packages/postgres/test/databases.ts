import { randomUUID } from 'node:crypto'
import { afterAll } from 'vitest'
import { openDatabase, type SqlExecutor } from '../src/index.js'

/** The databases every store test runs on: PGlite always, the server when DATABASE_URL is set. */
export type TestDatabase = {
  name: 'pglite' | 'server'
  /** The shared executor of this test file (one PGlite instance, one pool). */
  database: () => Promise<SqlExecutor>
}

function lazy(open: () => Promise<SqlExecutor>): () => Promise<SqlExecutor> {
  let opened: Promise<SqlExecutor> | undefined
  afterAll(async () => {
    if (opened !== undefined) await (await opened).close()
  })
  return () => {
    opened ??= open()
    return opened
  }
}

/** Call at the top of a test file: one entry per database available. */
export function testDatabases(): TestDatabase[] {
  const url = process.env.DATABASE_URL
  const databases: TestDatabase[] = [{ name: 'pglite', database: lazy(() => openDatabase()) }]
  if (url !== undefined && url !== '') {
    databases.push({ name: 'server', database: lazy(() => openDatabase({ url, maxConnections: 8 })) })
  }
  return databases
}

/** A schema name no other test uses, so each test starts from empty tables. */
export function freshSchema(): string {
  return `test_${randomUUID().replaceAll('-', '').slice(0, 16)}`
}
