import {
  type AuditEntry,
  applyVerificationUpdate,
  auditChainFor,
  isKycError,
  KycConfigurationError,
  type KycStore,
  KycStoreConflictError,
  KycStoreIntegrityError,
  KycStoreUnavailableError,
  type Verification,
} from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import {
  createPostgresStore,
  latestMigrationVersion,
  migrate,
  migrations,
  openPostgresStore,
} from '../src/index.js'
import { freshSchema, freshStore, testDatabases, verificationAt } from './databases.js'

const approved = (id: string, minute: number) =>
  verificationAt(id, 'completed', minute, {
    completedAt: `2025-06-01T10:${String(minute).padStart(2, '0')}:00.000Z`,
    decision: { outcome: 'approved', reasons: [], decidedBy: 'provider', raw: { status: 'approved' } },
    identity: { firstName: 'Zelda', lastName: 'Quartermain', dateOfBirth: '1980-02-29' },
  })

const declined = (id: string, minute: number) =>
  verificationAt(id, 'completed', minute, {
    decision: {
      outcome: 'declined',
      reasons: [{ code: 'document_expired', raw: 'expired' }],
      decidedBy: 'provider',
      raw: { status: 'declined' },
    },
  })

/** A manual review's audit entry: what these tests append when only the chain matters. */
const manualReview = (verificationId: string) => ({
  provider: 'persona',
  verificationId,
  action: 'review' as const,
  actor: 'manual' as const,
  reasons: [],
})

/** Appends a manual review of `verificationId` in a transaction of its own. */
const appendReview = (store: KycStore, verificationId: string) =>
  store.transaction((transaction) => transaction.appendAudit(manualReview(verificationId)))

for (const target of testDatabases()) {
  describe(`@openkyc/postgres on ${target.name}`, () => {
    it('migrate() creates the schema once; a second call applies nothing', async () => {
      const database = await target.database()
      const schema = freshSchema()
      const versions = migrations.map((migration) => migration.version)
      expect(versions).toEqual(versions.map((_, index) => index + 1))
      expect(await migrate(database, { schema })).toEqual({
        applied: versions,
        version: latestMigrationVersion,
      })
      expect(await migrate(database, { schema })).toEqual({ applied: [], version: latestMigrationVersion })
    })

    it('refuses to open an unmigrated database with a KycStoreIntegrityError naming migrate()', async () => {
      const database = await target.database()
      const error = await createPostgresStore({ database, schema: freshSchema() }).catch((caught) => caught)
      expect(error).toBeInstanceOf(KycStoreIntegrityError)
      expect(error.message).toMatch(/Call migrate\(database\)/)
    })

    it('names a missing migration below the latest, and a database newer than the package', async () => {
      const { database, schema } = await freshStore(target)
      await database.query({
        name: 'test',
        text: `INSERT INTO "${schema}".migration (version, name) VALUES ($1, 'x')`,
        values: [latestMigrationVersion + 2],
      })
      const missing = await createPostgresStore({ database, schema }).catch((caught) => caught)
      expect(missing).toBeInstanceOf(KycStoreIntegrityError)
      expect(missing.message).toContain(`missing a migration below version ${latestMigrationVersion + 2}`)
      await database.query({
        name: 'test',
        text: `INSERT INTO "${schema}".migration (version, name) VALUES ($1, 'y')`,
        values: [latestMigrationVersion + 1],
      })
      const newer = await createPostgresStore({ database, schema }).catch((caught) => caught)
      expect(newer.message).toMatch(/Upgrade @openkyc\/postgres/)
    })

    it('applies updates forward-only whatever their order, exactly as applyVerificationUpdate', async () => {
      const { store } = await freshStore(target)
      const updates: Verification[] = [
        verificationAt('inq_a', 'created', 1, { subjectReference: 'user-1' }),
        verificationAt('inq_a', 'in_progress', 2),
        verificationAt('inq_a', 'submitted', 3),
        declined('inq_a', 4),
        verificationAt('inq_a', 'in_progress', 5),
        approved('inq_a', 3),
      ]
      const orders = [
        [0, 1, 2, 3, 4, 5],
        [5, 4, 3, 2, 1, 0],
        [2, 0, 5, 1, 4, 3],
      ]
      for (const [index, order] of orders.entries()) {
        let expected: Verification | undefined
        for (const position of order) {
          const update = {
            ...updates[position]!,
            id: `inq_${index}`,
            reference: { inquiryId: `inq_${index}` },
          }
          expected = applyVerificationUpdate(expected, update)
          const applied = await store.transaction((transaction) => transaction.applyVerification(update))
          expect(applied.verification).toEqual(expected)
        }
        expect(await store.verifications.get({ provider: 'persona', id: `inq_${index}` })).toEqual(expected)
      }
    })

    it('reports previous and applied, and keeps identity and subjectReference an event does not carry', async () => {
      const { store } = await freshStore(target)
      const first = await store.transaction((transaction) =>
        transaction.applyVerification(
          verificationAt('inq_k', 'submitted', 1, { subjectReference: 'user-9' }),
        ),
      )
      expect(first).toMatchObject({ previous: undefined, applied: true })
      const stale = await store.transaction((transaction) =>
        transaction.applyVerification(verificationAt('inq_k', 'created', 0)),
      )
      expect(stale).toMatchObject({ applied: false, verification: { status: 'submitted' } })
      const decided = await store.transaction((transaction) =>
        transaction.applyVerification(approved('inq_k', 2)),
      )
      expect(decided).toMatchObject({
        applied: true,
        previous: { status: 'submitted' },
        verification: {
          status: 'completed',
          subjectReference: 'user-9',
          identity: { lastName: 'Quartermain' },
        },
      })
    })

    it('rejects an invalid update with KycInvalidRequestError and writes nothing', async () => {
      const { store } = await freshStore(target)
      const error = await store
        .transaction((transaction) =>
          transaction.applyVerification({
            ...verificationAt('inq_bad', 'created', 1),
            status: 'teleported',
          } as never),
        )
        .catch((caught) => caught)
      expect(isKycError(error) && error.code).toBe('invalid_request')
      expect(await store.verifications.get({ provider: 'persona', id: 'inq_bad' })).toBeUndefined()
    })

    it('claims an event once: busy while leased, completed after commit, reclaimable after release or lease expiry', async () => {
      const { store } = await freshStore(target)
      const request = { provider: 'persona', eventId: 'evt_1', leaseMs: 60_000 }
      const first = await store.inbox.claim(request)
      expect(first.status).toBe('claimed')
      expect(await store.inbox.claim(request)).toMatchObject({ status: 'busy' })
      if (first.status !== 'claimed') throw new Error('unreachable')
      await store.inbox.release(first.claim)
      const second = await store.inbox.claim(request)
      if (second.status !== 'claimed') throw new Error('expected a claim after release')
      expect(second.claim.token).not.toBe(first.claim.token)
      await store.transaction((transaction) => transaction.completeClaim(second.claim))
      expect(await store.inbox.claim(request)).toEqual({ status: 'completed' })
      // Releasing a completed claim does nothing.
      await store.inbox.release(second.claim)
      expect(await store.inbox.claim(request)).toEqual({ status: 'completed' })

      const short = { provider: 'persona', eventId: 'evt_2', leaseMs: 50 }
      const crashed = await store.inbox.claim(short)
      await new Promise((resolve) => setTimeout(resolve, 120))
      const taken = await store.inbox.claim(short)
      expect(taken.status).toBe('claimed')
      if (crashed.status !== 'claimed') throw new Error('unreachable')
      // The first holder comes back too late: its completion is refused and its work rolled back.
      const late = await store
        .transaction(async (transaction) => {
          await transaction.applyVerification(verificationAt('inq_late', 'submitted', 1))
          await transaction.completeClaim(crashed.claim)
        })
        .catch((caught) => caught)
      expect(late).toBeInstanceOf(KycStoreConflictError)
      expect(await store.verifications.get({ provider: 'persona', id: 'inq_late' })).toBeUndefined()
    })

    it('rolls back everything when the handler fails: state, audit entry, application rows, claim', async () => {
      const { store, schema } = await freshStore(target)
      await store.transaction((transaction) =>
        transaction.handle.query(`CREATE TABLE "${schema}".effects (event_id text PRIMARY KEY)`),
      )
      const result = await store.inbox.claim({ provider: 'persona', eventId: 'evt_r', leaseMs: 60_000 })
      if (result.status !== 'claimed') throw new Error('expected a claim')
      const failure = new Error('the application failed')
      const caught = await store
        .transaction(async (transaction) => {
          const applied = await transaction.applyVerification(approved('inq_r', 5))
          await transaction.appendAudit({
            provider: 'persona',
            verificationId: 'inq_r',
            eventId: 'evt_r',
            action: 'state_changed',
            actor: 'provider',
            to: { status: applied.verification.status, outcome: 'approved' },
            reasons: [],
          })
          await transaction.handle.query(`INSERT INTO "${schema}".effects (event_id) VALUES ($1)`, ['evt_r'])
          await transaction.completeClaim(result.claim)
          throw failure
        })
        .catch((error) => error)
      expect(caught).toBe(failure)
      expect(await store.verifications.get({ provider: 'persona', id: 'inq_r' })).toBeUndefined()
      expect(await store.audit.head()).toBeUndefined()
      const rows = await store.transaction((transaction) =>
        transaction.handle.query<{ count: number }>(`SELECT count(*)::int AS count FROM "${schema}".effects`),
      )
      expect(rows[0]?.count).toBe(0)
      expect(
        await store.inbox.claim({ provider: 'persona', eventId: 'evt_r', leaseMs: 60_000 }),
      ).toMatchObject({
        status: 'busy',
      })
    })

    it('rolls back the whole event when a write sent with the next statement fails: claim, state, handler rows, audit', async () => {
      const { store, database, schema } = await freshStore(target)
      await database.execute(`CREATE TABLE "${schema}".effects (event_id text PRIMARY KEY)`, 'effects table')
      await store.transaction((transaction) => transaction.applyVerification(approved('inq_p', 1)))
      // A progress column ahead of its document: the forward-only write finds no row to move.
      await database.query({
        name: 'corrupt progress',
        text: `UPDATE "${schema}".verification SET progress = 'zzzz' WHERE id = 'inq_p'`,
        values: [],
      })
      const key = { provider: 'persona', id: 'inq_p' }
      const caught = await store
        .transaction(async (transaction) => {
          expect(
            await transaction.claimEvent?.({ provider: 'persona', eventId: 'evt_p', verification: key }),
          ).toEqual({ status: 'claimed' })
          const applied = await transaction.applyVerification(declined('inq_p', 5))
          await transaction.handle.query(`INSERT INTO "${schema}".effects (event_id) VALUES ($1)`, ['evt_p'])
          transaction.appendAuditAtCommit?.({
            provider: 'persona',
            verificationId: 'inq_p',
            eventId: 'evt_p',
            action: 'state_changed',
            actor: 'provider',
            to: { status: applied.verification.status, outcome: 'declined' },
            reasons: [],
          })
        })
        .catch((error) => error)
      expect(caught).toBeInstanceOf(KycStoreIntegrityError)
      expect((caught as Error).message).toMatch(/progress column disagrees/)
      const effects = await database.query<{ count: number }>({
        name: 'count effects',
        text: `SELECT count(*)::int AS count FROM "${schema}".effects`,
        values: [],
      })
      expect(effects[0]?.count).toBe(0)
      expect(await store.audit.head()).toBeUndefined()
      expect((await store.verifications.get(key))?.decision?.outcome).toBe('approved')
      // Not marked: the redelivery claims the event.
      expect(
        await store.transaction(async (transaction) =>
          transaction.claimEvent?.({ provider: 'persona', eventId: 'evt_p' }),
        ),
      ).toEqual({ status: 'claimed' })
    })

    it('chains audit entries with core hashing, verifies, exports JSON Lines, and lists per verification (one chain)', async () => {
      const { store } = await freshStore(target, { auditChains: 1 })
      // Twelve entries: more than nine, so an ordering by text instead of number would show.
      for (const [index, id] of [
        'inq_1',
        'inq_2',
        'inq_1',
        ...Array.from({ length: 9 }, () => 'inq_3'),
      ].entries()) {
        await store.transaction((transaction) =>
          transaction.appendAudit({
            provider: 'persona',
            verificationId: id,
            eventId: `evt_${index}`,
            action: 'state_changed',
            actor: 'provider',
            to: { status: 'submitted' },
            reasons: [],
          }),
        )
      }
      expect(await store.verifyAuditChain()).toMatchObject({ valid: true, count: 12 })
      const lines: string[] = []
      for await (const line of store.exportAudit()) lines.push(line)
      expect(lines).toHaveLength(12)
      expect(lines.every((line) => line.endsWith('\n'))).toBe(true)
      const parsed = lines.map((line) => JSON.parse(line))
      expect(parsed.map((entry) => entry.sequence)).toEqual(
        Array.from({ length: 12 }, (_, index) => index + 1),
      )
      expect(parsed[1].previousHash).toBe(parsed[0].hash)
      const forOne: number[] = []
      for await (const entry of store.audit.read({ verificationId: 'inq_1' })) forOne.push(entry.sequence)
      expect(forOne).toEqual([1, 3])
      expect((await store.audit.head())?.sequence).toBe(12)
    })

    it('keeps one chain when two store instances append in turn, and after a rolled-back append', async () => {
      const { store: first, database, schema } = await freshStore(target, { auditChains: 1 })
      const second = await createPostgresStore({ database, schema, auditChains: 1 })
      await appendReview(first, 'inq_1')
      await appendReview(second, 'inq_2')
      // The first instance's idea of the head is stale now: it must chain onto the second's entry.
      const third = await appendReview(first, 'inq_3')
      expect(third.sequence).toBe(3)
      await first
        .transaction(async (transaction) => {
          await transaction.appendAudit(manualReview('inq_x'))
          throw new Error('roll back')
        })
        .catch(() => undefined)
      expect((await appendReview(first, 'inq_4')).sequence).toBe(4)
      expect((await appendReview(second, 'inq_5')).sequence).toBe(5)
      expect(await first.verifyAuditChain()).toMatchObject({ valid: true, count: 5 })
    })

    it('refuses to change audit rows through SQL, and finds rows changed, removed or filed under another verification (one chain)', async () => {
      const { store, database, schema } = await freshStore(target, { auditChains: 1 })
      for (let index = 0; index < 4; index += 1) {
        await appendReview(store, `inq_${index}`)
      }
      const update = await database
        .query({ name: 'tamper', text: `UPDATE "${schema}".audit_log SET provider = 'x'`, values: [] })
        .catch((caught) => caught)
      expect(update).toBeInstanceOf(KycStoreIntegrityError)
      const sql = (text: string) => database.query({ name: 'tamper', text, values: [] })
      await sql(`ALTER TABLE "${schema}".audit_log DISABLE TRIGGER USER`)
      await sql(
        `UPDATE "${schema}".audit_log SET entry = jsonb_set(entry, '{actor}', '"application"') WHERE sequence = 2`,
      )
      expect(await store.verifyAuditChain()).toMatchObject({
        valid: false,
        sequence: 2,
        problem: 'hash_mismatch',
      })
      await sql(
        `UPDATE "${schema}".audit_log SET entry = jsonb_set(entry, '{actor}', '"manual"') WHERE sequence = 2`,
      )
      expect(await store.verifyAuditChain()).toMatchObject({ valid: true, count: 4 })
      await sql(`UPDATE "${schema}".audit_log SET verification_id = 'inq_other' WHERE sequence = 3`)
      expect(await store.verifyAuditChain()).toMatchObject({
        valid: false,
        sequence: 3,
        problem: 'invalid_entry',
      })
      await sql(`UPDATE "${schema}".audit_log SET verification_id = 'inq_2' WHERE sequence = 3`)
      await sql(`DELETE FROM "${schema}".audit_log WHERE sequence = 4`)
      expect(await store.verifyAuditChain()).toMatchObject({ valid: false, problem: 'head_mismatch' })
      await sql(`DELETE FROM "${schema}".audit_log WHERE sequence = 2`)
      expect(await store.verifyAuditChain()).toMatchObject({
        valid: false,
        sequence: 3,
        problem: 'sequence_gap',
      })
    })

    it('keeps 16 interleaved chains by default: entries name their chain, export carries it, a removed row of any chain is found, a one-chain log upgrades in place', async () => {
      const { store: single, database, schema } = await freshStore(target, { auditChains: 1 })
      // Written before the upgrade: the one chain of migration 1.
      await appendReview(single, 'inq_old')
      const store = await createPostgresStore({ database, schema })
      const ids = Array.from({ length: 8 }, (_, index) => `inq_${index}`)
      const appended: AuditEntry[] = []
      for (let round = 0; round < 3; round += 1)
        for (const id of ids) appended.push(await appendReview(store, id))
      for (const entry of appended) expect(entry.chain).toBe(auditChainFor(entry.verificationId, 16))
      expect(new Set(appended.map((entry) => entry.chain)).size).toBeGreaterThan(2)
      const lines: string[] = []
      for await (const line of store.exportAudit()) lines.push(line)
      const exported = lines.map((line) => JSON.parse(line))
      expect(exported[0].chain).toBeUndefined()
      expect(exported.slice(1)).toEqual(appended)
      expect(await store.verifyAuditChain()).toMatchObject({ valid: true, count: 25 })
      // Back to one chain would number entries over the chained ones: refused, naming the fix.
      const back = await createPostgresStore({ database, schema, auditChains: 1 }).catch((caught) => caught)
      expect(back).toBeInstanceOf(KycConfigurationError)
      expect(back.message).toMatch(/auditChains greater than 1/)
      const sql = (text: string) => database.query({ name: 'tamper', text, values: [] })
      await sql(`ALTER TABLE "${schema}".audit_log DISABLE TRIGGER USER`)
      // A middle row of one chain: the chain breaks at its next row.
      await sql(`DELETE FROM "${schema}".audit_log WHERE sequence = ${appended[3]!.sequence}`)
      expect(await store.verifyAuditChain()).toMatchObject({
        valid: false,
        sequence: appended.slice(4).find((entry) => entry.chain === appended[3]!.chain)!.sequence,
        problem: 'sequence_gap',
      })
      await sql(
        `INSERT INTO "${schema}".audit_log (sequence, provider, verification_id, entry) VALUES (${appended[3]!.sequence}, 'persona', '${appended[3]!.verificationId}', '${JSON.stringify(appended[3])}'::jsonb)`,
      )
      expect(await store.verifyAuditChain()).toMatchObject({ valid: true, count: 25 })
      // The tail of another chain: its recorded head is never reached.
      const tail = appended.at(-1)!
      await sql(`DELETE FROM "${schema}".audit_log WHERE sequence = ${tail.sequence}`)
      expect(await store.verifyAuditChain()).toMatchObject({ valid: false, problem: 'head_mismatch' })
    })

    it('migration 8: an append chains onto the head it replaces, under concurrency and after a head written by an older version', async () => {
      const { store, database, schema } = await freshStore(target, { auditChains: 2 })
      const review = (verificationId: string) => appendReview(store, verificationId)
      // Every append to one chain at once: each waits for the head and chains onto the one before.
      const sameChain = ['inq_a', 'inq_b', 'inq_c', 'inq_d', 'inq_e', 'inq_f'].filter(
        (id) => auditChainFor(id, 2) === auditChainFor('inq_a', 2),
      )
      const concurrent = await Promise.all(
        Array.from({ length: 12 }, (_, index) => review(sameChain[index % sameChain.length]!)),
      )
      const inChain = [...concurrent].sort((left, right) => left.chainSequence! - right.chainSequence!)
      expect(inChain.map((entry) => entry.chainSequence)).toEqual(
        Array.from({ length: 12 }, (_, index) => index + 1),
      )
      for (const [index, entry] of inChain.entries()) {
        expect(entry.previousHash).toBe(index === 0 ? '0'.repeat(64) : inChain[index - 1]!.hash)
      }
      // A version before migration 8 moves the head without keeping the replaced hash there.
      const chain = inChain[0]!.chain!
      await database.query({
        name: 'older version head',
        text: `UPDATE "${schema}".audit_chain_head SET previous_hash = NULL WHERE chain = $1`,
        values: [chain],
      })
      const next = await review(sameChain[0]!)
      expect(next).toMatchObject({ chain, chainSequence: 13, previousHash: inChain.at(-1)!.hash })
      expect(await store.verifyAuditChain()).toMatchObject({ valid: true, count: 13 })
      // Its SQL again changes nothing (idempotent).
      await database.execute(migrations.find((migration) => migration.version === 8)!.up(`"${schema}"`), '8')
      expect(await store.verifyAuditChain()).toMatchObject({ valid: true, count: 13 })
    })

    if (target.name !== 'pglite') {
      it('commits transactions on different chains while one of them is still open (no global audit lock)', async () => {
        const { store } = await freshStore(target)
        const [first, second] = ['inq_a', 'inq_b', 'inq_c', 'inq_d'].filter(
          (id, index, all) =>
            all.findIndex((other) => auditChainFor(other, 16) === auditChainFor(id, 16)) === index,
        )
        let release = () => {}
        const held = new Promise<void>((resolve) => {
          release = resolve
        })
        let appendedFirst = () => {}
        const firstAppended = new Promise<void>((resolve) => {
          appendedFirst = resolve
        })
        const open = store.transaction(async (transaction) => {
          await transaction.appendAudit(manualReview(first!))
          appendedFirst()
          await held
        })
        await firstAppended
        // The first transaction holds its chain's head; an append on another chain commits anyway.
        const other = await store.transaction((transaction) => transaction.appendAudit(manualReview(second!)))
        expect(other.chain).not.toBe(auditChainFor(first!, 16))
        release()
        await open
        expect(await store.verifyAuditChain()).toMatchObject({ valid: true, count: 2 })
      })
    }

    it('reads a corrupt or foreign verification row as a KycStoreIntegrityError without its content', async () => {
      const { store, database, schema } = await freshStore(target)
      await store.transaction((transaction) => transaction.applyVerification(approved('inq_c', 1)))
      await store.transaction((transaction) => transaction.applyVerification(approved('inq_f', 1)))
      const sql = (text: string) => database.query({ name: 'corrupt', text, values: [] })
      await sql(`UPDATE "${schema}".verification SET document = '{"name":"Quartermain"}' WHERE id = 'inq_c'`)
      await sql(
        `UPDATE "${schema}".verification SET document = (SELECT document FROM "${schema}".verification WHERE id = 'inq_c') WHERE id = 'inq_f'`,
      )
      await sql(
        `UPDATE "${schema}".verification SET document = jsonb_set(document::jsonb, '{id}', '"inq_zz"') WHERE id = 'inq_f'`,
      )
      for (const id of ['inq_c', 'inq_f']) {
        const error = await store.verifications.get({ provider: 'persona', id }).catch((caught) => caught)
        expect(error).toBeInstanceOf(KycStoreIntegrityError)
        expect(JSON.stringify(error)).not.toMatch(/Quartermain|Zelda/)
        // A write on top of it is refused too: nothing is half-written.
        const write = await store
          .transaction((transaction) => transaction.applyVerification(verificationAt(id, 'expired', 9)))
          .catch((caught) => caught)
        expect(write).toBeInstanceOf(KycStoreIntegrityError)
      }
    })

    it('keeps key-values with time to live, setIfAbsent, and transactional rollback', async () => {
      const { store } = await freshStore(target)
      await store.keyValue.set('jumio', 'upload-1', { parts: ['front'] })
      expect(await store.keyValue.get('jumio', 'upload-1')).toEqual({ parts: ['front'] })
      expect(await store.keyValue.setIfAbsent('jumio', 'upload-1', { parts: [] })).toEqual({
        parts: ['front'],
      })
      expect(await store.keyValue.setIfAbsent('jumio', 'upload-2', 7)).toBe(7)
      await store.keyValue.set('jumio', 'short', true, { ttlMs: 30 })
      await new Promise((resolve) => setTimeout(resolve, 80))
      expect(await store.keyValue.get('jumio', 'short')).toBeUndefined()
      expect(await store.keyValue.setIfAbsent('jumio', 'short', 'again')).toBe('again')
      await store
        .transaction(async (transaction) => {
          await transaction.keyValue.set('jumio', 'upload-1', 'changed')
          await transaction.keyValue.delete('jumio', 'upload-2')
          throw new Error('roll back')
        })
        .catch(() => undefined)
      expect(await store.keyValue.get('jumio', 'upload-1')).toEqual({ parts: ['front'] })
      expect(await store.keyValue.get('jumio', 'upload-2')).toBe(7)
      await store.keyValue.delete('jumio', 'upload-1')
      expect(await store.keyValue.get('jumio', 'upload-1')).toBeUndefined()
      expect((await store.purgeExpired()).keyValues).toBe(0)
    })

    it('does not run work once the signal is aborted', async () => {
      const { store } = await freshStore(target)
      const controller = new AbortController()
      controller.abort(new Error('gave up'))
      let ran = false
      const error = await store
        .transaction(
          async () => {
            ran = true
          },
          { signal: controller.signal },
        )
        .catch((caught) => caught)
      expect(error).toMatchObject({ message: 'gave up' })
      expect(ran).toBe(false)
    })

    if (target.name === 'server') {
      it('turns a connection dropped mid-transaction into KycStoreUnavailableError, with nothing written', async () => {
        const { store, database } = await freshStore(target)
        const error = await store
          .transaction(async (transaction) => {
            await transaction.applyVerification(approved('inq_drop', 1))
            const [backend] = await transaction.handle.query<{ pid: number }>(
              'SELECT pg_backend_pid() AS pid',
            )
            await database.query({
              name: 'terminate',
              text: 'SELECT pg_terminate_backend($1)',
              values: [backend!.pid],
            })
            await transaction.appendAudit({
              provider: 'persona',
              verificationId: 'inq_drop',
              action: 'state_changed',
              actor: 'provider',
              reasons: [],
            })
          })
          .catch((caught) => caught)
        expect(error).toBeInstanceOf(KycStoreUnavailableError)
        expect(error.retryable).toBe(true)
        expect(error.message).toMatch(/nothing was written/)
        expect(await store.verifications.get({ provider: 'persona', id: 'inq_drop' })).toBeUndefined()
        expect(await store.audit.head()).toBeUndefined()
        // The pool replaces the dropped connection: the redelivery is processed.
        await store.transaction((transaction) => transaction.applyVerification(approved('inq_drop', 1)))
        expect(await store.verifications.get({ provider: 'persona', id: 'inq_drop' })).toMatchObject({
          status: 'completed',
        })
      })

      it('never moves a verification backwards under concurrent writers', async () => {
        const { store } = await freshStore(target)
        const updates = [
          verificationAt('inq_race', 'created', 1),
          verificationAt('inq_race', 'in_progress', 2),
          verificationAt('inq_race', 'submitted', 3),
          approved('inq_race', 4),
          verificationAt('inq_race', 'expired', 5),
        ]
        const results = await Promise.all(
          [...updates, ...updates, ...updates].map((update) =>
            store.transaction((transaction) => transaction.applyVerification(update)),
          ),
        )
        expect(results.filter((result) => result.applied).length).toBeLessThanOrEqual(updates.length)
        expect(await store.verifications.get({ provider: 'persona', id: 'inq_race' })).toMatchObject({
          status: 'completed',
          decision: { outcome: 'approved' },
        })
      })
    }
  })
}

describe('openPostgresStore', () => {
  it('opens PGlite in a data directory, migrates, and keeps what was written after close and reopen', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const directory = mkdtempSync(join(tmpdir(), 'openkyc-pglite-open-'))
    try {
      const first = await openPostgresStore({ dataDir: directory })
      await first.transaction((transaction) => transaction.applyVerification(approved('inq_kept', 1)))
      await first.close()
      const second = await openPostgresStore({ dataDir: directory })
      expect(second.database.kind).toBe('pglite')
      expect(await second.verifications.get({ provider: 'persona', id: 'inq_kept' })).toMatchObject({
        status: 'completed',
      })
      await second.close()
    } finally {
      rmSync(directory, { recursive: true, force: true })
    }
  })

  it('refuses a URL that is not postgres:// with a KycConfigurationError', async () => {
    const error = await openPostgresStore({ url: 'mysql://localhost/x' }).catch((caught) => caught)
    expect(isKycError(error) && error.code).toBe('configuration')
  })
})
