import type { PGlite, Transaction as PgliteTransaction } from '@electric-sql/pglite'
import type { Sql, TransactionSql } from 'postgres'
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

type PostgresJsLike = Pick<Sql, 'unsafe' | 'begin' | 'end'>

function serverTransactionExecutor(transaction: TransactionSql): SqlExecutor {
  return {
    kind: 'server',
    query: <Row>(statement: SqlStatement) =>
      mapped(
        statement.name,
        async () =>
          (await transaction.unsafe(statement.text, [...statement.values], {
            prepare: true,
          })) as unknown as Row[],
      ),
    execute: (script, name) => mapped(name, async () => void (await transaction.unsafe(script))),
    transaction: <T>(work: (transaction: SqlExecutor) => Promise<T>) =>
      runTransaction<TransactionSql, T>(
        (inside) => transaction.savepoint(inside) as Promise<T>,
        (savepoint) => work(serverTransactionExecutor(savepoint)),
      ),
    close: closeInsideTransaction,
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
    query: <Row>(statement: SqlStatement) =>
      mapped(
        statement.name,
        async () =>
          (await sql.unsafe(statement.text, [...statement.values], { prepare: true })) as unknown as Row[],
      ),
    execute: (script, name) => mapped(name, async () => void (await sql.unsafe(script))),
    transaction: <T>(work: (transaction: SqlExecutor) => Promise<T>) =>
      runTransaction<TransactionSql, T>(
        (inside) => sql.begin(inside) as Promise<T>,
        (transaction) => work(serverTransactionExecutor(transaction)),
      ),
    close: () => sql.end({ timeout: 5 }),
  }
}
