import type { Verification } from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import { createPostgresStore, type SqlExecutor, type SqlStatement } from '../src/index.js'
import { freshStore, testDatabases, verificationAt } from './databases.js'

const key = { provider: 'persona', id: 'inq_u' }

/** The executor, recording the name of every statement and the first row each answered with. */
function recording(database: SqlExecutor) {
  const ran: { name: string; row: Record<string, unknown> | undefined }[] = []
  const wrap = (executor: SqlExecutor): SqlExecutor => ({
    ...executor,
    async query<Row>(statement: SqlStatement) {
      const entry: { name: string; row: Record<string, unknown> | undefined } = {
        name: statement.name,
        row: undefined,
      }
      ran.push(entry)
      const rows = await executor.query<Row>(statement)
      entry.row = rows[0] as Record<string, unknown> | undefined
      return rows
    },
    transaction: (work) => executor.transaction((inner) => work(wrap(inner))),
  })
  return { executor: wrap(database), ran, names: () => ran.map((statement) => statement.name) }
}

type Store = Awaited<ReturnType<typeof createPostgresStore>>

/** One event as the pipeline runs it: claim with the verification and its update, apply that update, audit at commit. */
const processEvent = (store: Store, eventId: string, update: Verification) =>
  store.transaction((transaction) => eventIn(transaction, eventId, update, true))

const started = verificationAt(key.id, 'in_progress', 1)
const submitted = verificationAt(key.id, 'submitted', 2, { subjectReference: 'user-7' })
const completed = verificationAt(key.id, 'completed', 3, {
  decision: { outcome: 'approved', reasons: [], decidedBy: 'provider', raw: { status: 'approved' } },
})

describe.each(testDatabases())('a claim that carries the event update, on $name', (target) => {
  it('writes the next state in the claim statement when the row holds the version this process wrote; the apply writes nothing more', async () => {
    const { database, schema } = await freshStore(target)
    const { executor, ran, names } = recording(database)
    const store = await createPostgresStore({ database: executor, schema })
    await processEvent(store, 'evt_1', started)
    ran.length = 0
    const second = await processEvent(store, 'evt_2', submitted)
    expect(names()).toContain('claim inbox event and advance verification')
    expect(names()).not.toContain('advance verification')
    expect(names()).not.toContain('select verification for update')
    const claim = ran.find((statement) => statement.name === 'claim inbox event and advance verification')
    expect(claim?.row).toMatchObject({ claimed: true, version: null, document: null })
    expect(typeof claim?.row?.advanced_version).toBe('string')
    expect(second).toEqual({ previous: started, verification: submitted, applied: true })
    // The version the claim left is remembered: the next event is written by its claim as well.
    ran.length = 0
    const third = await processEvent(store, 'evt_3', completed)
    expect(names().filter((name) => name.endsWith('verification'))).toEqual([
      'claim inbox event and advance verification',
    ])
    expect(third).toMatchObject({ previous: submitted, applied: true })
    expect(await store.verifications.get(key)).toEqual(third.verification)
    expect(await store.verifyAuditChain()).toMatchObject({ valid: true, count: 3 })
  })

  it('falls back to lock, read and write when another instance moved the row since', async () => {
    const { database, schema } = await freshStore(target)
    const { executor, ran, names } = recording(database)
    const instanceA = await createPostgresStore({ database: executor, schema })
    const instanceB = await createPostgresStore({ database, schema })
    await processEvent(instanceA, 'evt_1', started)
    const byB = await processEvent(instanceB, 'evt_2', submitted)
    ran.length = 0
    const applied = await processEvent(instanceA, 'evt_3', completed)
    const claim = ran.find((statement) => statement.name === 'claim inbox event and advance verification')
    // Nothing written with the claim: the row was locked and its document (B's state) sent instead.
    expect(claim?.row).toMatchObject({ claimed: true, advanced_version: null })
    expect(claim?.row?.document).not.toBeNull()
    expect(names()).toContain('advance verification')
    expect(applied.previous).toEqual(byB.verification)
    expect(applied.verification.subjectReference).toBe('user-7')
    expect(await instanceB.verifications.get(key)).toEqual(applied.verification)
  })

  it('a claim that waited on the row lock of another instance writing it locks the new version and writes after it', async () => {
    const { database, schema } = await freshStore(target)
    const { executor, ran } = recording(database)
    const instanceA = await createPostgresStore({ database: executor, schema })
    const instanceB = await createPostgresStore({ database, schema })
    await processEvent(instanceA, 'evt_1', started)
    let byA: Promise<unknown> | undefined
    const byB = await instanceB.transaction(async (transaction) => {
      await transaction.claimEvent!({ provider: 'persona', eventId: 'evt_2', verification: key })
      const applied = await transaction.applyVerification(submitted)
      // A's claim (which knows only the version A wrote) now waits on B's row lock, on a server;
      // PGlite runs A's transaction after this one.
      byA = processEvent(instanceA, 'evt_3', completed)
      await new Promise((resolve) => setTimeout(resolve, 200))
      return applied
    })
    const applied = (await byA) as Awaited<ReturnType<typeof processEvent>>
    const claim = ran.find(
      (statement) =>
        statement.name === 'claim inbox event and advance verification' && statement.row !== undefined,
    )
    expect(claim?.row).toMatchObject({ claimed: true, advanced_version: null })
    expect(claim?.row?.document).not.toBeNull()
    expect(applied.previous).toEqual(byB.verification)
    expect(applied.verification).toEqual({ ...completed, subjectReference: 'user-7' })
    expect(await instanceB.verifications.get(key)).toEqual(applied.verification)
  })

  it('a state written with the claim that rolls back is neither stored nor remembered', async () => {
    const { database, schema } = await freshStore(target)
    const { executor, ran } = recording(database)
    const store = await createPostgresStore({ database: executor, schema })
    await processEvent(store, 'evt_1', started)
    const failure = new Error('the handler failed')
    const rolledBack = await store
      .transaction(async (transaction) => {
        await transaction.claimEvent!({
          provider: 'persona',
          eventId: 'evt_2',
          verification: key,
          update: submitted,
        })
        await transaction.applyVerification(submitted)
        throw failure
      })
      .catch((caught) => caught)
    expect(rolledBack).toBe(failure)
    expect(await store.verifications.get(key)).toEqual(started)
    ran.length = 0
    // The state remembered from evt_1 still matches the row, so this claim writes again.
    const applied = await processEvent(store, 'evt_2', submitted)
    expect(ran.find((statement) => statement.name.startsWith('claim'))?.row).toMatchObject({
      claimed: true,
      document: null,
    })
    expect(applied).toEqual({ previous: started, verification: submitted, applied: true })
  })

  it('a stale update with the claim writes nothing; an apply of another object is applied on the state the claim wrote', async () => {
    const { database, schema } = await freshStore(target)
    const { executor, names, ran } = recording(database)
    const store = await createPostgresStore({ database: executor, schema })
    await processEvent(store, 'evt_1', started)
    await processEvent(store, 'evt_2', submitted)
    ran.length = 0
    expect(await processEvent(store, 'evt_old', started)).toEqual({
      previous: submitted,
      verification: submitted,
      applied: false,
    })
    expect(names().filter((name) => name.startsWith('claim') || name.endsWith('verification'))).toEqual([
      'claim inbox event in transaction',
    ])
    const copy = await store.transaction(async (transaction) => {
      await transaction.claimEvent!({
        provider: 'persona',
        eventId: 'evt_3',
        verification: key,
        update: completed,
      })
      // An equal object, not the one given to the claim: applied over what the claim wrote (nothing moves).
      return transaction.applyVerification(structuredClone(completed))
    })
    // The merge keeps what the update does not carry (the subject reference of evt_2).
    const merged = { ...completed, subjectReference: 'user-7' }
    expect(copy).toEqual({ previous: merged, verification: merged, applied: false })
    expect(await store.verifications.get(key)).toEqual(merged)
  })
})

/** One event's claim and apply inside a transaction the caller holds, with its audit entry at commit. */
async function eventIn(
  transaction: Parameters<Parameters<Store['transaction']>[0]>[0],
  eventId: string,
  update: Verification,
  withUpdate: boolean,
) {
  const request = { provider: 'persona', eventId, verification: key, ...(withUpdate ? { update } : {}) }
  expect(await transaction.claimEvent!(request)).toEqual({ status: 'claimed' })
  const applied = await transaction.applyVerification(update)
  transaction.appendAuditAtCommit!({
    provider: 'persona',
    verificationId: key.id,
    eventId,
    action: 'state_changed',
    actor: 'provider',
    to: { status: update.status },
    reasons: [],
  })
  return applied
}

describe.each(testDatabases())(
  'several events of one verification in one transaction, on $name',
  (target) => {
    for (const withUpdate of [true, false]) {
      it(`locks and reads the verification once, writes each event over the transaction's own state, chains every audit entry (claims ${withUpdate ? 'with' : 'without'} the update)`, async () => {
        const { database, schema } = await freshStore(target)
        const { executor, names } = recording(database)
        const store = await createPostgresStore({ database: executor, schema })
        const results = await store.transaction(async (transaction) => [
          await eventIn(transaction, 'evt_1', started, withUpdate),
          await eventIn(transaction, 'evt_2', submitted, withUpdate),
          // A stale one in between changes nothing.
          await eventIn(transaction, 'evt_old', started, withUpdate),
          await eventIn(transaction, 'evt_3', completed, withUpdate),
        ])
        expect(results.map((result) => result.applied)).toEqual([true, true, false, true])
        expect(results[1]?.previous).toEqual(started)
        expect(results[3]?.previous).toEqual(submitted)
        const merged = { ...completed, subjectReference: 'user-7' }
        expect(results[3]?.verification).toEqual(merged)
        // Only the first claim locks the verification; nothing reads it again.
        expect(names().filter((name) => name === 'claim inbox event in transaction').length).toBe(
          withUpdate ? 2 : 4,
        )
        expect(names()).not.toContain('select verification for update')
        expect(names().filter((name) => name === 'claim inbox event and advance verification').length).toBe(
          withUpdate ? 2 : 0,
        )
        expect(names().filter((name) => name === 'advance verification').length).toBe(withUpdate ? 0 : 2)
        expect(await store.verifications.get(key)).toEqual(merged)
        expect(await store.verifyAuditChain()).toMatchObject({ valid: true, count: 4 })
        const entries = []
        for await (const entry of store.audit.read({ verificationId: key.id })) entries.push(entry.eventId)
        expect(entries).toEqual(['evt_1', 'evt_2', 'evt_old', 'evt_3'])
        // What the transaction wrote last is remembered: the next claim sends no document back.
        const next = verificationAt(key.id, 'completed', 4, {
          decision: { outcome: 'declined', reasons: [], decidedBy: 'manual', raw: { status: 'declined' } },
        })
        const later = await processEvent(store, 'evt_4', next)
        expect(later).toMatchObject({ previous: merged, applied: true })
        expect(names().at(-2)).toBe('claim inbox event and advance verification')
      })
    }

    it('a later claim does not wait for a write still on its way, and a later apply writes after it', async () => {
      const { database, schema } = await freshStore(target)
      const { executor, names } = recording(database)
      const store = await createPostgresStore({ database: executor, schema })
      await processEvent(store, 'evt_1', started)
      const results = await store.transaction(async (transaction) => {
        // Claimed without the update: the apply writes (on a server, sent without waiting for its answer).
        await transaction.claimEvent!({ provider: 'persona', eventId: 'evt_2', verification: key })
        const first = await transaction.applyVerification(submitted)
        const before = names().length
        // No statement in between: on a server the write's answer has not come, so this claim
        // neither waits for it nor writes; on PGlite every statement is answered at once.
        await transaction.claimEvent!({
          provider: 'persona',
          eventId: 'evt_3',
          verification: key,
          update: completed,
        })
        const second = await transaction.applyVerification(completed)
        return { first, second, statements: names().slice(before) }
      })
      expect(results.statements).toEqual(
        target.name === 'server'
          ? ['claim inbox event in transaction', 'advance verification']
          : ['claim inbox event and advance verification'],
      )
      expect([results.first.applied, results.second.applied]).toEqual([true, true])
      expect(results.second.previous).toEqual(submitted)
      expect(await store.verifications.get(key)).toEqual({ ...completed, subjectReference: 'user-7' })
    })

    it('a transaction of several events that rolls back leaves the stored state and what is remembered as before', async () => {
      const { database, schema } = await freshStore(target)
      const { executor, ran } = recording(database)
      const store = await createPostgresStore({ database: executor, schema })
      await processEvent(store, 'evt_1', started)
      const failure = new Error('the handler failed')
      const outcome = await store
        .transaction(async (transaction) => {
          await eventIn(transaction, 'evt_2', submitted, true)
          await eventIn(transaction, 'evt_3', completed, true)
          throw failure
        })
        .catch((caught) => caught)
      expect(outcome).toBe(failure)
      expect(await store.verifications.get(key)).toEqual(started)
      expect(await store.verifyAuditChain()).toMatchObject({ valid: true, count: 1 })
      ran.length = 0
      expect(await processEvent(store, 'evt_2', submitted)).toEqual({
        previous: started,
        verification: submitted,
        applied: true,
      })
      expect(ran.find((statement) => statement.name.startsWith('claim'))?.row).toMatchObject({
        claimed: true,
        document: null,
      })
    })
  },
)
