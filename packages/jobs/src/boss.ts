import { setTimeout as sleep } from 'node:timers/promises'
import { KycConfigurationError } from '@openkyc/core'
import {
  assertMigrated,
  type MigrateResult,
  migrate,
  quoteIdentifier,
  type SqlExecutor,
  type SqlValue,
} from '@openkyc/postgres'
import PgBoss from 'pg-boss'
import { jobsMigrations } from './jobs-migrations.js'

/** The schema `@openkyc/jobs` keeps its own tables in, unless told otherwise. */
export const defaultJobsSchema = 'openkyc_jobs'

/** Every pg-boss queue this package creates starts with this, so they never collide with an application's own. */
export const queuePrefix = 'openkyc-'

/**
 * The pg-boss queue name for one kind of job: `openkyc-<kind>` (`openkyc-bulk-item`). pg-boss
 * accepts letters, digits, `_` and `-`; kinds are lower-case words joined by hyphens.
 *
 * @example
 * ```ts
 * await jobs.boss.send(queueName('bulk-item'), { batchId, position })
 * ```
 */
export function queueName(kind: string): string {
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(kind)) {
    throw new TypeError(`@openkyc/jobs: job kind "${kind}" must be lower-case words joined by hyphens`)
  }
  return `${queuePrefix}${kind}`
}

/** Options for {@link openJobs}. */
export type OpenJobsOptions = {
  /** The database from `@openkyc/postgres`'s `openDatabase()` (PGlite or a server pool). */
  database: SqlExecutor
  /**
   * The server URL, required when `database` is a server (pg-boss opens its own small `pg` pool on
   * it; the package never reads the environment). Ignored for PGlite, where pg-boss runs its SQL
   * through `database` itself.
   */
  url?: string
  /** The schema of this package's own tables (rate limiter, bulk runs). Default `openkyc_jobs`. */
  schema?: string
  /** The schema pg-boss keeps its queues in. Default `<schema>_queue` (`openkyc_jobs_queue`). */
  queueSchema?: string
  /** Server only: connections in pg-boss's pool. Default 4. */
  maxConnections?: number
  /**
   * pg-boss settings passed through (maintenance and monitoring intervals, default expiry, retry
   * policy). `schema`, `db` and connection settings are set by this function.
   */
  boss?: Omit<PgBoss.ConstructorOptions, 'schema' | 'db' | 'connectionString' | keyof PgBoss.DatabaseOptions>
}

/** An open job system: pg-boss plus this package's tables. Call {@link Jobs.stop} before exiting. */
export type Jobs = {
  /** The pg-boss instance (started). Use {@link queueName} for the queues of this package. */
  readonly boss: PgBoss
  /** The database this package's own tables live in. */
  readonly database: SqlExecutor
  /** The quoted schema of this package's own tables, ready to interpolate into SQL. */
  readonly schema: string
  /** Creates a pg-boss queue if it does not exist yet (pg-boss 10 needs a queue before `send`/`work`). */
  ensureQueue(kind: string, options?: Omit<PgBoss.Queue, 'name'>): Promise<string>
  /**
   * Stops pg-boss: no new jobs are fetched, active ones get `timeoutMs` to finish (default 30 s).
   * The `database` passed in stays open: it belongs to the caller.
   */
  stop(options?: { timeoutMs?: number; graceful?: boolean }): Promise<void>
}

/**
 * Applies this package's migrations (its own tables, not pg-boss's: pg-boss installs and upgrades
 * its schema itself when {@link openJobs} starts it). Idempotent, safe at every start, serialised by
 * an advisory lock when several processes start together.
 *
 * @example
 * ```ts
 * await migrateJobs(await openDatabase({ url: process.env.DATABASE_URL }))
 * ```
 */
export function migrateJobs(
  database: SqlExecutor,
  options: { schema?: string } = {},
): Promise<MigrateResult> {
  return migrate(database, { schema: options.schema ?? defaultJobsSchema, migrations: jobsMigrations })
}

/**
 * pg-boss's `db` seam over a PGlite executor. pg-boss sends either one parameterised statement or,
 * without values, a script (`BEGIN; … COMMIT;` for its own migrations and maintenance): scripts run
 * through `execute` (PGlite's simple-query protocol), single statements through `query`.
 */
function pgliteBossDatabase(database: SqlExecutor): PgBoss.Db {
  return {
    async executeSql(text: string, values?: unknown[]) {
      if ((values === undefined || values.length === 0) && /^\s*BEGIN\s*;/i.test(text)) {
        await database.execute(text, 'pg-boss script')
        return { rows: [] }
      }
      const rows = await database.query({
        name: 'pg-boss',
        text,
        // pg-boss passes arrays and objects too; PGlite serialises them by the parameter's type.
        values: (values ?? []) as SqlValue[],
      })
      return { rows }
    },
  }
}

/**
 * Opens the job system on `@openkyc/postgres`'s database: applies this package's migrations,
 * installs or upgrades pg-boss's schema, and starts pg-boss (maintenance, expiry of jobs whose worker
 * died, monitoring). On a server every process that calls it joins the same queues; on PGlite the
 * queue lives in this one process (see the README for what works there).
 *
 * @example
 * ```ts
 * const database = await openDatabase({ url: process.env.DATABASE_URL })
 * const jobs = await openJobs({ database, url: process.env.DATABASE_URL })
 * // … createBulkRuns({ jobs, … }) …
 * await jobs.stop()
 * await database.close()
 * ```
 */
export async function openJobs(options: OpenJobsOptions): Promise<Jobs> {
  const schemaName = options.schema ?? defaultJobsSchema
  const schema = quoteIdentifier(schemaName)
  const queueSchema = options.queueSchema ?? `${schemaName}_queue`
  quoteIdentifier(queueSchema)
  const { database } = options
  let connection: PgBoss.DatabaseOptions
  if (database.kind === 'server') {
    if (options.url === undefined || options.url === '') {
      throw new KycConfigurationError({
        provider: 'jobs',
        message:
          'openJobs needs `url` (the same DATABASE_URL the database was opened with) when the database is a PostgreSQL server.',
      })
    }
    connection = {
      connectionString: options.url,
      max: options.maxConnections ?? 4,
      application_name: 'openkyc-jobs',
    }
  } else {
    connection = { db: pgliteBossDatabase(database) }
  }
  await migrateJobs(database, { schema: schemaName })
  await assertMigrated(database, { schema: schemaName, migrations: jobsMigrations })
  const boss = new PgBoss({ ...options.boss, ...connection, schema: queueSchema })
  // pg-boss emits maintenance and connection errors as events; an unhandled 'error' event would crash
  // the process. They carry no personal data (SQL errors of pg-boss's own tables); callers may listen too.
  boss.on('error', () => {})
  await boss.start()
  const created = new Set<string>()
  // One creation at a time in this process, so its own ensureQueue calls never deadlock one another.
  let creating: Promise<unknown> = Promise.resolve()
  const create = async (name: string, queueOptions: Omit<PgBoss.Queue, 'name'>) => {
    if (created.has(name)) return
    // Processes starting together race to create queues: pg-boss's insert and partition DDL then end
    // in a deadlock or a duplicate for all but one of them. The loser waits a random, growing while
    // (so the losers do not meet again), looks again and finds the queue, or creates it.
    for (let attempt = 1; ; attempt++) {
      try {
        if ((await boss.getQueue(name)) === null) await boss.createQueue(name, { ...queueOptions, name })
        break
      } catch (error) {
        if (attempt >= maxCreationAttempts || !lostCreationRace(error)) throw error
        await sleep(Math.random() * creationBackoffMs * 2 ** Math.min(attempt, 5))
      }
    }
    created.add(name)
  }
  return {
    boss,
    database,
    schema,
    async ensureQueue(kind, queueOptions = {}) {
      const name = queueName(kind)
      if (!created.has(name)) {
        const turn = creating.then(() => create(name, queueOptions))
        creating = turn.catch(() => undefined)
        await turn
      }
      return name
    },
    async stop(stopOptions = {}) {
      await boss.stop({
        graceful: stopOptions.graceful ?? true,
        timeout: stopOptions.timeoutMs ?? 30_000,
        wait: true,
        close: true,
      })
    },
  }
}

/** How often a process tries to create a queue it keeps losing the race for, and the first wait's scale. */
const maxCreationAttempts = 10
const creationBackoffMs = 10

/** A concurrent creation of the same queue won: deadlock detected, unique violation, or duplicate table. */
function lostCreationRace(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === '40P01' || code === '23505' || code === '42P07'
}
