import { randomUUID } from 'node:crypto'
import type { Verification } from '@openkyc/core'
import { afterAll } from 'vitest'
import { createPostgresStore, migrate, openDatabase, type SqlExecutor } from '../src/index.js'

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

/** A migrated, empty store in its own schema on `target`. */
export async function freshStore(
  target: TestDatabase,
  options: { ttlMs?: number; auditChains?: number } = {},
) {
  const database = await target.database()
  const schema = freshSchema()
  await migrate(database, { schema })
  const store = await createPostgresStore({ database, schema, ...options })
  return { store, database, schema }
}

/** A valid verification of `id` at `status`, updated at `minute` past 10:00. */
export function verificationAt(
  id: string,
  status: Verification['status'],
  minute: number,
  extra: Partial<Verification> = {},
): Verification {
  const at = `2025-06-01T10:${String(minute).padStart(2, '0')}:00.000Z`
  return {
    id,
    provider: 'persona',
    reference: { inquiryId: id },
    status,
    checks: [],
    credentials: [],
    createdAt: '2025-06-01T10:00:00.000Z',
    updatedAt: at,
    raw: { status },
    ...extra,
  }
}
