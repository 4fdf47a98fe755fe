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
   * Runs `work` in one transaction: commits when it resolves, rolls back when it throws (the error
   * is rethrown as a typed `KycError` unless it already is one, or comes from `work` itself).
   */
  transaction<T>(work: (transaction: SqlExecutor) => Promise<T>): Promise<T>
  /** Closes the connection or pool; the executor cannot be used afterwards. */
  close(): Promise<void>
}

/** Errors thrown by the application's own work pass through a transaction unchanged. */
class WorkError {
  constructor(readonly error: unknown) {}
}

async function runWork<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    throw error instanceof WorkError ? error : new WorkError(error)
  }
}

function unwrap(error: unknown, name: string): unknown {
  return error instanceof WorkError ? error.error : toStoreError(error, name)
}

type PgliteLike = Pick<PGlite, 'query' | 'exec' | 'transaction' | 'close'>

function pgliteTransactionExecutor(transaction: PgliteTransaction, depth: number): SqlExecutor {
  return {
    kind: 'pglite',
    async query<Row>(statement: SqlStatement) {
      try {
        return (await transaction.query<Row>(statement.text, [...statement.values])).rows
      } catch (error) {
        throw toStoreError(error, statement.name)
      }
    },
    async execute(script, name) {
      try {
        await transaction.exec(script)
      } catch (error) {
        throw toStoreError(error, name)
      }
    },
    async transaction(work) {
      const savepoint = `openkyc_savepoint_${depth}`
      await transaction.exec(`SAVEPOINT ${savepoint}`)
      try {
        const result = await work(pgliteTransactionExecutor(transaction, depth + 1))
        await transaction.exec(`RELEASE SAVEPOINT ${savepoint}`)
        return result
      } catch (error) {
        await transaction.exec(`ROLLBACK TO SAVEPOINT ${savepoint}`)
        throw error
      }
    },
    async close() {
      throw new TypeError('close() is not available inside a transaction')
    },
  }
}

/**
 * An executor over PGlite, the in-process WASM build of PostgreSQL. PGlite has one connection:
 * transactions run one at a time, in the order they were asked for.
 */
export function createPgliteExecutor(database: PgliteLike): SqlExecutor {
  return {
    kind: 'pglite',
    async query<Row>(statement: SqlStatement) {
      try {
        return (await database.query<Row>(statement.text, [...statement.values])).rows
      } catch (error) {
        throw toStoreError(error, statement.name)
      }
    },
    async execute(script, name) {
      try {
        await database.exec(script)
      } catch (error) {
        throw toStoreError(error, name)
      }
    },
    async transaction(work) {
      try {
        return await database.transaction((transaction) =>
          runWork(() => work(pgliteTransactionExecutor(transaction, 0))),
        )
      } catch (error) {
        throw unwrap(error, 'transaction')
      }
    },
    close: () => database.close(),
  }
}

type PostgresJsLike = Pick<Sql, 'unsafe' | 'begin' | 'end'>

function serverTransactionExecutor(transaction: TransactionSql): SqlExecutor {
  return {
    kind: 'server',
    async query<Row>(statement: SqlStatement) {
      try {
        return (await transaction.unsafe(statement.text, [...statement.values], {
          prepare: true,
        })) as unknown as Row[]
      } catch (error) {
        throw toStoreError(error, statement.name)
      }
    },
    async execute(script, name) {
      try {
        await transaction.unsafe(script)
      } catch (error) {
        throw toStoreError(error, name)
      }
    },
    async transaction(work) {
      return (await transaction.savepoint((savepoint) =>
        work(serverTransactionExecutor(savepoint)),
      )) as Awaited<ReturnType<typeof work>>
    },
    async close() {
      throw new TypeError('close() is not available inside a transaction')
    },
  }
}

/** An executor over a PostgreSQL server through a postgres.js (`postgres` package) connection pool. */
export function createServerExecutor(sql: PostgresJsLike): SqlExecutor {
  return {
    kind: 'server',
    async query<Row>(statement: SqlStatement) {
      try {
        return (await sql.unsafe(statement.text, [...statement.values], {
          prepare: true,
        })) as unknown as Row[]
      } catch (error) {
        throw toStoreError(error, statement.name)
      }
    },
    async execute(script, name) {
      try {
        await sql.unsafe(script)
      } catch (error) {
        throw toStoreError(error, name)
      }
    },
    async transaction(work) {
      try {
        return (await sql.begin((transaction) =>
          runWork(() => work(serverTransactionExecutor(transaction))),
        )) as Awaited<ReturnType<typeof work>>
      } catch (error) {
        throw unwrap(error, 'transaction')
      }
    },
    close: () => sql.end({ timeout: 5 }),
  }
}
