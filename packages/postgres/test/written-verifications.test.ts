import { KycStoreIntegrityError, type Verification } from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import {
  createPostgresStore,
  latestMigrationVersion,
  migrate,
  migrations,
  type SqlExecutor,
  type SqlStatement,
} from '../src/index.js'
import { statements } from '../src/sql.js'
import { freshSchema, freshStore, testDatabases, verificationAt } from './databases.js'

const key = { provider: 'persona', id: 'inq_w' }

/** The executor, recording the row every claim statement answered with. */
function recordingClaims(database: SqlExecutor) {
  const claimRows: Record<string, unknown>[] = []
  const wrap = (executor: SqlExecutor): SqlExecutor => ({
    ...executor,
    async query<Row>(statement: SqlStatement) {
      const rows = await executor.query<Row>(statement)
      if (statement.name === 'claim inbox event in transaction')
        claimRows.push(rows[0] as Record<string, unknown>)
      return rows
    },
    transaction: (work) => executor.transaction((inner) => work(wrap(inner))),
  })
  return { executor: wrap(database), claimRows }
}

/** One event through the store as the pipeline runs it: claim (locking the verification), apply. */
const processEvent = (
  store: Awaited<ReturnType<typeof createPostgresStore>>,
  eventId: string,
  verification: Verification,
) =>
  store.transaction(async (transaction) => {
    expect(await transaction.claimEvent!({ provider: 'persona', eventId, verification: key })).toEqual({
      status: 'claimed',
    })
    return transaction.applyVerification(verification)
  })

const started = verificationAt(key.id, 'in_progress', 1)
const submitted = verificationAt(key.id, 'submitted', 2, { subjectReference: 'user-7' })
const completed = verificationAt(key.id, 'completed', 3, {
  decision: { outcome: 'approved', reasons: [], decidedBy: 'provider', raw: { status: 'approved' } },
})

describe.each(testDatabases())('verification states this process wrote, on $name', (target) => {
  it('does not read back the state it wrote: the claim answers without the document', async () => {
    const { database, schema } = await freshStore(target)
    const { executor, claimRows } = recordingClaims(database)
    const store = await createPostgresStore({ database: executor, schema })
    await processEvent(store, 'evt_1', started)
    const applied = await processEvent(store, 'evt_2', submitted)
    expect(claimRows[1]).toMatchObject({ claimed: true, document: null })
    expect(typeof claimRows[1]!.version).toBe('string')
    expect(applied.previous).toEqual(started)
    expect(await store.verifications.get(key)).toEqual(applied.verification)
  })

  it('reads the state again when another instance wrote the row since', async () => {
    const { database, schema } = await freshStore(target)
    const { executor, claimRows } = recordingClaims(database)
    const instanceA = await createPostgresStore({ database: executor, schema })
    const instanceB = await createPostgresStore({ database, schema })
    await processEvent(instanceA, 'evt_1', started)
    // B moves it on and adds what A never saw (the subject reference).
    const byB = await processEvent(instanceB, 'evt_2', submitted)
    const applied = await processEvent(instanceA, 'evt_3', completed)
    expect(claimRows[1]).toMatchObject({ claimed: true })
    expect(claimRows[1]!.document).not.toBeNull()
    expect(applied.previous).toEqual(byB.verification)
    expect(applied.verification.subjectReference).toBe('user-7')
    expect(await instanceA.verifications.get(key)).toEqual(applied.verification)
  })

  it('does not remember a write whose transaction rolled back', async () => {
    const { database, schema } = await freshStore(target)
    const { executor, claimRows } = recordingClaims(database)
    const store = await createPostgresStore({ database: executor, schema })
    await processEvent(store, 'evt_1', started)
    const failure = new Error('the handler failed')
    const rolledBack = await store
      .transaction(async (transaction) => {
        await transaction.claimEvent!({ provider: 'persona', eventId: 'evt_2', verification: key })
        await transaction.applyVerification(submitted)
        throw failure
      })
      .catch((caught) => caught)
    expect(rolledBack).toBe(failure)
    const applied = await processEvent(store, 'evt_2', completed)
    expect(applied.previous).toEqual(started)
    // What it remembers of evt_1 still matches the row: no document sent.
    expect(claimRows.at(-1)).toMatchObject({ claimed: true, document: null })
  })

  it('a row changed by hand after this process wrote it is read and refused as corrupt', async () => {
    const { store, database, schema } = await freshStore(target)
    await processEvent(store, 'evt_1', started)
    await database.query({
      name: 'corrupt by hand',
      text: `UPDATE "${schema}".verification SET document = '{"status":"teleported","name":"Quartermain"}' WHERE id = $1`,
      values: [key.id],
    })
    const error = await processEvent(store, 'evt_2', submitted).catch((caught) => caught)
    expect(error).toBeInstanceOf(KycStoreIntegrityError)
    expect(JSON.stringify(error)).not.toMatch(/Quartermain/)
  })

  it('the forward-only write refuses a row version other than the one its state was computed from', async () => {
    const { store, database, schema } = await freshStore(target)
    await processEvent(store, 'evt_1', started)
    const [before] = await database.query<{ version: string }>({
      name: 'version',
      text: `SELECT xmin::text AS version FROM "${schema}".verification WHERE id = $1`,
      values: [key.id],
    })
    // Another writer moves the row on: the version the first state was read at is gone.
    await processEvent(store, 'evt_2', submitted)
    const row = {
      ...key,
      progress: '9999',
      document: JSON.stringify(completed),
      subjectReference: null,
      fromVersion: before!.version,
    }
    expect(await database.query(statements.advanceVerification(`"${schema}"`, row))).toEqual([])
    expect(await store.verifications.get(key)).toMatchObject({ status: 'submitted' })
  })

  it('remembers nothing with cachedVerifications 0, and refuses a negative size', async () => {
    const { database, schema } = await freshStore(target)
    const { executor, claimRows } = recordingClaims(database)
    const store = await createPostgresStore({ database: executor, schema, cachedVerifications: 0 })
    await processEvent(store, 'evt_1', started)
    await processEvent(store, 'evt_2', submitted)
    expect(claimRows[1]!.document).not.toBeNull()
    await expect(createPostgresStore({ database, schema, cachedVerifications: -1 })).rejects.toThrow(
      RangeError,
    )
  })

  it('migration 5 turns a jsonb document column into json, keeps the rows, and applies once', async () => {
    const database = await target.database()
    const schema = freshSchema()
    await migrate(database, { schema, migrations: migrations.slice(0, 4) })
    const columnType = async () => {
      const [row] = await database.query<{ type: string }>({
        name: 'column type',
        text: `SELECT atttypid::regtype::text AS type FROM pg_attribute
          WHERE attrelid = $1::regclass AND attname = 'document'`,
        values: [`"${schema}".verification`],
      })
      return row?.type
    }
    expect(await columnType()).toBe('jsonb')
    await database.query({
      name: 'seed',
      text: `INSERT INTO "${schema}".verification (provider, id, progress, document) VALUES ($1, $2, '0', $3::text::jsonb)`,
      values: [key.provider, key.id, JSON.stringify(started)],
    })
    // 5 and every later one.
    expect(await migrate(database, { schema })).toEqual({
      applied: migrations.slice(4).map((migration) => migration.version),
      version: latestMigrationVersion,
    })
    expect(await columnType()).toBe('json')
    // Re-running its SQL changes nothing (idempotent), and the store reads the converted row.
    await database.execute(migrations[4]!.up(`"${schema}"`), 'migration 5 again')
    expect(await columnType()).toBe('json')
    const store = await createPostgresStore({ database, schema })
    expect(await store.verifications.get(key)).toEqual(started)
    const applied = await processEvent(store, 'evt_1', submitted)
    expect(applied.previous).toEqual(started)
  })
})
