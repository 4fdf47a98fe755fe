import { randomUUID } from 'node:crypto'
import { openDatabase, type SqlExecutor } from '@openkyc/postgres'
import { afterAll } from 'vitest'
import { type Jobs, openJobs } from '../src/index.js'

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

/**
 * For a `describe` block: `open` gives a fresh database connection and jobs (own schema, pg-boss
 * maintenance every second) per call; they, and whatever is passed to `closeAfterAll`, are closed
 * after the block, last opened first.
 */
export function useJobs(target: TestDatabase): {
  open: () => Promise<Jobs>
  closeAfterAll: (close: () => Promise<void>) => void
} {
  const opened: (() => Promise<void>)[] = []
  afterAll(async () => {
    for (const close of opened.splice(0).reverse()) await close()
  })
  const open = async () => {
    const database = await target.open()
    opened.push(() => database.close())
    const jobs = await openJobs({
      database,
      url: target.url,
      schema: freshSchema(),
      boss: { maintenanceIntervalSeconds: 1 },
    })
    opened.push(() => jobs.stop({ timeoutMs: 2_000 }))
    return jobs
  }
  return { open, closeAfterAll: (close) => opened.push(close) }
}
