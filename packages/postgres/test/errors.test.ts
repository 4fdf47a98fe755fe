import { KycStoreConflictError, KycStoreIntegrityError, KycStoreUnavailableError } from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import { toStoreError } from '../src/errors.js'

/** A driver error as postgres.js builds one: PostgreSQL's message and detail, the statement's parameters. */
function driverError(code: string) {
  return Object.assign(
    new Error('duplicate key value violates unique constraint: Key (name)=(Zelda Quartermain)'),
    {
      name: 'PostgresError',
      code,
      detail: 'Key (name)=(Zelda Quartermain) already exists.',
      parameters: ['Zelda Quartermain', '1980-02-29'],
    },
  )
}

describe('toStoreError', () => {
  it.each([
    ['57P01', KycStoreUnavailableError],
    ['08006', KycStoreUnavailableError],
    ['CONNECTION_CLOSED', KycStoreUnavailableError],
    ['57014', KycStoreUnavailableError],
    ['40P01', KycStoreConflictError],
    ['42P01', KycStoreIntegrityError],
    ['23505', KycStoreIntegrityError],
  ])('maps %s to a typed error that carries no value from the database', (code, type) => {
    const error = toStoreError(driverError(code), 'insert audit entry')
    expect(error).toBeInstanceOf(type)
    expect(error.message).toContain('insert audit entry')
    const everything = `${error.message} ${JSON.stringify(error)} ${String((error.cause as Error).message)} ${JSON.stringify(error.cause)}`
    expect(everything).not.toMatch(/Zelda|Quartermain|1980/)
    expect(error.cause).not.toHaveProperty('parameters')
  })
})
