import { isKycError } from '@openkyc/core'
import { openDatabase, openPostgresStore, type PostgresStore, type SqlExecutor } from '@openkyc/postgres'
import type { Environment } from '../doctor/doctor-check.js'

/** Where the store commands find the database: `DATABASE_URL`, or a PGlite data directory. */
export type DatabaseLocation = { url: string } | { dataDir: string }

/** A failure the store commands report as one line and exit 1. */
export class CliFailure extends Error {
  override readonly name = 'CliFailure'
}

/**
 * The database to use: `--data-dir` (PGlite, for development) wins over `DATABASE_URL` (a server).
 * Throws a {@link CliFailure} naming what to set when neither is given: an in-memory database
 * would be empty and forgotten at exit.
 */
export function databaseLocation(env: Environment, dataDir: string | undefined): DatabaseLocation {
  if (dataDir !== undefined && dataDir !== '') return { dataDir }
  const url = env.DATABASE_URL?.trim()
  if (url) return { url }
  throw new CliFailure('no database: set DATABASE_URL, or pass --data-dir <directory> for a PGlite database')
}

/** One line for a failure: a `KycError`'s message (written without personal data), else the class name. */
export function describeFailure(error: unknown): string {
  if (error instanceof CliFailure || isKycError(error)) return error.message
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    return `the database could not be reached (${typeof code === 'string' ? code : error.name})`
  }
  return 'unexpected failure'
}

/** Opens the raw database, for `migrate`. */
export function openCliDatabase(location: DatabaseLocation): Promise<SqlExecutor> {
  return openDatabase(location)
}

/** Opens the store without migrating: the read commands must not change the schema. */
export function openCliStore(location: DatabaseLocation): Promise<PostgresStore> {
  return openPostgresStore({ ...location, migrate: false })
}
