import type { PGlite, Transaction as PgliteTransaction } from '@electric-sql/pglite'
import type { ReservedSql, Sql } from 'postgres'
import { toStoreError } from './errors.js'

/** A value bound to a statement parameter. JSON goes in as text and is cast in SQL (`$1::text::jsonb`). */
export type SqlValue = string | number | boolean | null

/** One parameterised statement: its name (for errors and traces), the SQL text, the values. */
export type SqlStatement = {
  readonly name: string
  readonly text: string
  readonly values: readonly SqlValue[]
}

/**
 * The thin seam between the store and a database: run one statement, run a script, or run work in
 * a transaction. The same SQL runs through PGlite (in process) and through a server connection pool.
 * Inside {@link SqlExecutor.transaction}, the executor handed to the work is bound to the transaction;
 * calling `transaction` again on it opens a savepoint.
 */
export type SqlExecutor = {
  /** `pglite` (embedded) or `server` (a PostgreSQL server reached through a URL). */
  readonly kind: 'pglite' | 'server'
  /** Runs one statement and returns its rows as plain objects (jsonb columns parsed). */
  query<Row = Record<string, unknown>>(statement: SqlStatement): Promise<Row[]>
  /** Runs a script of several statements without parameters (migrations). */
  execute(script: string, name: string): Promise<void>
  /**
   * Runs `work` in one transaction: commits when it resolves, rolls back when it throws. An error
   * thrown by `work` reaches the caller unchanged, even when the rollback fails as well; errors of
   * the driver alone (begin, commit) become typed `KycError`s.
   */
  transaction<T>(work: (transaction: SqlExecutor) => Promise<T>): Promise<T>
  /** Closes the connection or pool; the executor cannot be used afterwards. */
  close(): Promise<void>
}

/** Runs `begin` around `work`, keeping `work`'s own error in front of whatever the rollback throws. */
async function runTransaction<Handle, T>(
  begin: (inside: (handle: Handle) => Promise<T>) => Promise<T>,
  work: (handle: Handle) => Promise<T>,
): Promise<T> {
  let workFailure: { error: unknown } | undefined
  try {
    return await begin(async (handle) => {
      try {
        return await work(handle)
      } catch (error) {
        workFailure = { error }
        throw error
      }
    })
  } catch (error) {
    if (workFailure !== undefined) throw workFailure.error
    throw toStoreError(error, 'commit transaction')
  }
}

async function mapped<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw toStoreError(error, name)
  }
}

const closeInsideTransaction = async () => {
  throw new TypeError('close() is not available inside a transaction')
}

type PgliteLike = Pick<PGlite, 'query' | 'exec' | 'transaction' | 'close'>

function pgliteTransactionExecutor(transaction: PgliteTransaction, depth: number): SqlExecutor {
  return {
    kind: 'pglite',
    query: <Row>(statement: SqlStatement) =>
      mapped(
        statement.name,
        async () => (await transaction.query<Row>(statement.text, [...statement.values])).rows,
      ),
    execute: (script, name) => mapped(name, async () => void (await transaction.exec(script))),
    async transaction(work) {
      const savepoint = `openkyc_savepoint_${depth}`
      await mapped('savepoint', () => transaction.exec(`SAVEPOINT ${savepoint}`))
      try {
        const result = await work(pgliteTransactionExecutor(transaction, depth + 1))
        await mapped('release savepoint', () => transaction.exec(`RELEASE SAVEPOINT ${savepoint}`))
        return result
      } catch (error) {
        await transaction.exec(`ROLLBACK TO SAVEPOINT ${savepoint}`).catch(() => undefined)
        throw error
      }
    },
    close: closeInsideTransaction,
  }
}

/**
 * An executor over PGlite, the in-process WASM build of PostgreSQL. PGlite has one connection:
 * transactions run one at a time, in the order they were asked for.
 *
 * @example
 * ```ts
 * const executor = createPgliteExecutor(await PGlite.create('./data'))
 * ```
 */
export function createPgliteExecutor(database: PgliteLike): SqlExecutor {
  return {
    kind: 'pglite',
    query: <Row>(statement: SqlStatement) =>
      mapped(
        statement.name,
        async () => (await database.query<Row>(statement.text, [...statement.values])).rows,
      ),
    execute: (script, name) => mapped(name, async () => void (await database.exec(script))),
    transaction: <T>(work: (transaction: SqlExecutor) => Promise<T>) =>
      runTransaction<PgliteTransaction, T>(
        (inside) => database.transaction(inside),
        (transaction) => work(pgliteTransactionExecutor(transaction, 0)),
      ),
    close: () => database.close(),
  }
}

type PostgresJsLike = Pick<Sql, 'unsafe' | 'reserve' | 'end'>

/** Runs one statement on a postgres.js connection, prepared (parsed once per connection). */
function serverQuery<Row>(connection: Pick<Sql, 'unsafe'>, statement: SqlStatement): Promise<Row[]> {
  return connection.unsafe(statement.text, [...statement.values], { prepare: true }) as unknown as Promise<
    Row[]
  >
}

/**
 * A transaction on a connection of its own (`sql.reserve()`), costing as few round trips as the work
 * allows: `BEGIN` is not sent on its own but with the work's first statement, in one batch ended by a
 * single Sync, so if `BEGIN` failed the statement would not run at all (never outside the
 * transaction); statements the work sends without waiting travel with the next one, and `COMMIT` with
 * whatever the work left unanswered. Work that runs no statement sends nothing. Nested transactions
 * are savepoints.
 */
async function serverTransaction<T>(sql: PostgresJsLike, work: (transaction: SqlExecutor) => Promise<T>) {
  let connection: ReservedSql
  try {
    connection = await sql.reserve()
  } catch (error) {
    throw toStoreError(error, 'begin transaction')
  }
  let begun = false
  let ended = false
  const send = async <Row>(statement: SqlStatement): Promise<Row[]> => {
    if (ended) throw new TypeError('This transaction has ended; run nothing on it after its work returned.')
    if (begun) return serverQuery<Row>(connection, statement)
    begun = true
    const [, rows] = await connection.batch([
      connection.unsafe('BEGIN', [], { prepare: true }),
      connection.unsafe(statement.text, [...statement.values], { prepare: true }),
    ])
    return rows as unknown as Row[]
  }
  const executorAt = (depth: number): SqlExecutor => ({
    kind: 'server',
    query: <Row>(statement: SqlStatement) => mapped(statement.name, () => send<Row>(statement)),
    execute: (script, name) =>
      mapped(name, async () => void (await send({ name, text: script, values: [] }))),
    async transaction(inner) {
      const savepoint = `openkyc_savepoint_${depth}`
      await mapped('savepoint', () => send({ name: 'savepoint', text: `SAVEPOINT ${savepoint}`, values: [] }))
      try {
        const result = await inner(executorAt(depth + 1))
        await mapped('release savepoint', () =>
          send({ name: 'release savepoint', text: `RELEASE SAVEPOINT ${savepoint}`, values: [] }),
        )
        return result
      } catch (error) {
        await send({
          name: 'rollback to savepoint',
          text: `ROLLBACK TO SAVEPOINT ${savepoint}`,
          values: [],
        }).catch(() => undefined)
        throw error
      }
    },
    close: closeInsideTransaction,
  })
  try {
    let result: T
    try {
      result = await work(executorAt(0))
    } catch (error) {
      ended = true
      // Nothing to undo when nothing was sent; a rollback on a dropped connection fails too, harmlessly.
      if (begun) await connection.unsafe('ROLLBACK').catch(() => undefined)
      throw error
    }
    ended = true
    if (!begun) return result
    let outcome: string
    try {
      outcome = (await connection.unsafe('COMMIT')).command
    } catch (error) {
      await connection.unsafe('ROLLBACK').catch(() => undefined)
      throw toStoreError(error, 'commit transaction')
    }
    // A statement failed without the work waiting for it: the server answers COMMIT with ROLLBACK.
    if (outcome !== 'COMMIT') {
      throw toStoreError(
        Object.assign(new Error('The server rolled back the transaction instead of committing it'), {
          code: 'TRANSACTION_ROLLED_BACK',
        }),
        'commit transaction',
      )
    }
    return result
  } finally {
    connection.release()
  }
}

/**
 * An executor over a PostgreSQL server through a postgres.js (`postgres` package) connection pool.
 *
 * @example
 * ```ts
 * const executor = createServerExecutor(postgres(process.env.DATABASE_URL))
 * ```
 */
export function createServerExecutor(sql: PostgresJsLike): SqlExecutor {
  return {
    kind: 'server',
    query: <Row>(statement: SqlStatement) => mapped(statement.name, () => serverQuery<Row>(sql, statement)),
    execute: (script, name) => mapped(name, async () => void (await sql.unsafe(script))),
    transaction: (work) => serverTransaction(sql, work),
    close: () => sql.end({ timeout: 5 }),
  }
}
