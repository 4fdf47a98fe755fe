import {
  isKycError,
  type KycError,
  KycStoreConflictError,
  KycStoreIntegrityError,
  KycStoreUnavailableError,
} from '@openkyc/core'

/** The name errors from this package carry in `provider`: the store, not a KYC vendor. */
export const storeName = 'postgres'

/** SQLSTATE classes and driver codes that mean the connection or server went away. */
const connectionLostCodes = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  '57P01', // admin_shutdown (pg_terminate_backend, server stopping)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
])

/** SQLSTATEs of a statement that gave up: statement or lock timeout, idle transaction ended. */
const timeoutCodes = new Set(['57014', '55P03', '25P03'])

/** SQLSTATEs of a lost race the server resolved by rolling us back: serialization failure, deadlock. */
const conflictCodes = new Set(['40001', '40P01'])

/**
 * What is kept of a driver error as `cause`: its class name and code. Driver errors carry the
 * statement's parameters and PostgreSQL's detail (values of the row: personal data); a logger that
 * prints `error.cause` must not print those.
 */
function safeCause(error: unknown): Error {
  const name = error instanceof Error ? error.name : typeof error
  const code = codeOf(error)
  const cause = new Error(`${name}${code === undefined ? '' : ` ${code}`}`)
  cause.name = name
  return cause
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : undefined
}

/**
 * Turns whatever the driver threw into a typed `KycError` that says what to do. The database's own
 * message is never copied: PostgreSQL puts offending values (personal data, ids) into messages and
 * details. Only the SQLSTATE and the name of our statement are kept, and `cause` holds only the
 * driver error's class and code.
 */
export function toStoreError(error: unknown, statement: string): KycError {
  if (isKycError(error)) return error
  const code = codeOf(error)
  if (code !== undefined && (connectionLostCodes.has(code) || code.startsWith('08'))) {
    return new KycStoreUnavailableError({
      message: `The PostgreSQL connection was lost during "${statement}" (${code}); the transaction was rolled back and nothing was written. Check that the server is up and retry: a provider's redelivery will be processed.`,
      cause: safeCause(error),
    })
  }
  if (code !== undefined && timeoutCodes.has(code)) {
    return new KycStoreUnavailableError({
      message: `PostgreSQL gave up on "${statement}" (${code}: a statement or lock timeout); the transaction was rolled back and nothing was written. Retry; raise statementTimeoutMs if it keeps happening.`,
      cause: safeCause(error),
    })
  }
  if (code !== undefined && conflictCodes.has(code)) {
    return new KycStoreConflictError({
      message: `PostgreSQL rolled back "${statement}" to resolve a conflict with a concurrent transaction (${code}); nothing was written. Retry.`,
      cause: safeCause(error),
    })
  }
  if (code === '42P01' || code === '3F000' || code === '42883' || code === '42703') {
    return new KycStoreIntegrityError({
      message: `The OpenKYC tables are missing in this database ("${statement}", ${code}). Call migrate() from @openkyc/postgres before opening the store.`,
      cause: safeCause(error),
    })
  }
  return new KycStoreIntegrityError({
    message: `PostgreSQL refused "${statement}"${code === undefined ? '' : ` (${code})`}; nothing was written. The database may have been changed by hand: compare its tables with the migrations of @openkyc/postgres and run verifyAuditChain().`,
    cause: safeCause(error),
  })
}

/** A stored row that is not what we wrote: unparseable, or belonging to something else. */
export function corruptRowError(options: { table: string; key: string; problem: string; cause?: unknown }) {
  return new KycStoreIntegrityError({
    message: `A row in ${options.table} (${options.key}) is corrupt or foreign: ${options.problem}. It was not used. Restore the row from a backup or delete it, then replay the verification's events.`,
    ...(options.cause === undefined ? {} : { cause: safeCause(options.cause) }),
  })
}
