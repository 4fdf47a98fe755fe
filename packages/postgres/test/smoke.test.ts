import { describe, expect, it } from 'vitest'
import { createPostgresStore, migrate } from '../src/index.js'
import { freshSchema, testDatabases } from './databases.js'

for (const target of testDatabases()) {
  describe(`smoke on ${target.name}`, () => {
    it('migrates and applies', async () => {
      const database = await target.database()
      const schema = freshSchema()
      expect((await migrate(database, { schema })).applied).toEqual([1])
      expect((await migrate(database, { schema })).applied).toEqual([])
      const store = await createPostgresStore({ database, schema })
      const base = {
        id: 'inq_1',
        provider: 'persona',
        reference: { inquiryId: 'inq_1' },
        status: 'created' as const,
        checks: [],
        credentials: [],
        createdAt: '2025-01-01T00:00:00.000Z',
        updatedAt: '2025-01-01T00:00:00.000Z',
        raw: { status: 'created' },
      }
      const first = await store.applyVerification(base)
      expect(first.changed).toBe(true)
      const second = await store.applyVerification({
        ...base,
        status: 'submitted',
        updatedAt: '2025-01-01T00:01:00.000Z',
      })
      expect(second).toMatchObject({
        changed: true,
        previous: { status: 'created' },
        verification: { status: 'submitted' },
      })
      const third = await store.applyVerification(base)
      expect(third).toMatchObject({ changed: false, verification: { status: 'submitted' } })
      expect(await store.claimEvent('persona', 'evt_1')).toBe('claimed')
      expect(await store.claimEvent('persona', 'evt_1')).toBe('busy')
      await store.completeEvent('persona', 'evt_1')
      expect(await store.claimEvent('persona', 'evt_1')).toBe('processed')
      await store.appendAudit({
        kind: 'state_change',
        provider: 'persona',
        verificationId: 'inq_1',
        actor: 'provider',
        at: new Date().toISOString(),
      })
      await store.appendAudit({
        kind: 'review',
        provider: 'persona',
        verificationId: 'inq_1',
        actor: 'manual',
        at: new Date().toISOString(),
      })
      expect(await store.verifyAuditChain()).toMatchObject({ ok: true, entries: 2 })
      await store.setValue('jumio', 'k', { a: 1 })
      expect(await store.getValue('jumio', 'k')).toEqual({ a: 1 })
    })
  })
}
