import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createKyc, KycProviderUnavailableError, type KycStore, verifyAuditChain } from '@openkyc/core'
import { createMockAdapter } from '@openkyc/core/test'
import { afterAll, describe, expect, it } from 'vitest'
import { openPostgresStore } from '../src/index.js'
import { freshStore, testDatabases } from './databases.js'

function routedClient(store: KycStore<unknown>, weights: Record<string, number>) {
  return createKyc({
    adapters: {
      champion: createMockAdapter({ provider: 'champion' }),
      challenger: createMockAdapter({ provider: 'challenger' }),
    },
    store,
    env: {},
    routing: { split: { weights }, fallback: ['challenger'] },
  })
}

const subjects = Array.from({ length: 60 }, (_, index) => `user_${index}`)

describe('routing on @openkyc/postgres', () => {
  const directories: string[] = []
  afterAll(async () => {
    for (const directory of directories) await rm(directory, { recursive: true, force: true })
  })

  it('keeps sticky split assignments across a restart (PGlite data directory reopened) and a split change', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'openkyc-routing-'))
    directories.push(dataDir)
    const assigned = new Map<string, string>()
    const before = await openPostgresStore({ dataDir })
    try {
      const kyc = routedClient(before, { champion: 70, challenger: 30 })
      for (const subject of subjects) {
        const { verification } = await kyc.createVerification({ subjectReference: subject })
        assigned.set(subject, verification.provider)
      }
    } finally {
      await before.close()
    }
    const champions = [...assigned.values()].filter((provider) => provider === 'champion').length
    expect(champions).toBeGreaterThan(0)
    expect(champions).toBeLessThan(subjects.length)

    const after = await openPostgresStore({ dataDir })
    try {
      // After the restart the split changed: every new subject goes to the champion.
      const kyc = routedClient(after, { champion: 100, challenger: 0 })
      for (const subject of subjects) {
        const { verification } = await kyc.createVerification({ subjectReference: subject })
        expect(verification.provider).toBe(assigned.get(subject))
      }
      const { verification } = await kyc.createVerification({ subjectReference: 'newcomer' })
      expect(verification.provider).toBe('champion')
    } finally {
      await after.close()
    }
    // Two PGlite boots and 120 routed calls: minutes on a loaded 2-core machine.
  }, 240_000)

  it('returns the first verification to a retry with the same idempotency key across a restart, also after a fallback', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'openkyc-routing-idempotency-'))
    directories.push(dataDir)
    // The vendors outlive our process: one mock each, shared by both runs. The first is down once.
    let firstDown = true
    const first = createMockAdapter({
      provider: 'first',
      results: {
        createVerification: () => {
          if (!firstDown) throw new Error('the first provider must not be called again')
          firstDown = false
          throw new KycProviderUnavailableError({ provider: 'first', message: 'The first API answered 503.' })
        },
      },
    })
    const second = createMockAdapter({ provider: 'second' })
    const clientOn = (store: KycStore<unknown>) =>
      createKyc({
        provider: 'first',
        adapters: { first, second },
        store,
        env: {},
        routing: { fallback: ['second'] },
      })
    const call = { subjectReference: 'user_1', idempotencyKey: 'signup-user_1' }
    const before = await openPostgresStore({ dataDir })
    let createdId: string
    try {
      const { verification } = await clientOn(before).createVerification(call)
      expect(verification.provider).toBe('second')
      createdId = verification.id
    } finally {
      await before.close()
    }
    const after = await openPostgresStore({ dataDir })
    try {
      const { verification } = await clientOn(after).createVerification(call)
      expect(verification).toMatchObject({ provider: 'second', id: createdId, subjectReference: 'user_1' })
      expect(first.calls.filter((made) => made.method === 'createVerification')).toHaveLength(1)
      expect(second.calls.filter((made) => made.method === 'createVerification')).toHaveLength(1)
    } finally {
      await after.close()
    }
  }, 240_000)

  it('keeps planned shadow runs across a restart and records the ones the ended process lost, chain valid', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'openkyc-routing-shadow-'))
    directories.push(dataDir)
    const primary = createMockAdapter({ provider: 'primary' })
    const shadow = createMockAdapter({ provider: 'shadow' })
    const clientOn = (store: KycStore<unknown>) =>
      createKyc({
        provider: 'primary',
        adapters: { primary, shadow },
        store,
        env: {},
        routing: { shadow: { provider: 'shadow', percentage: 100 } },
      })
    const before = await openPostgresStore({ dataDir })
    let primaryId: string
    try {
      const { verification } = await clientOn(before).createVerification({
        subjectReference: 'user_1',
        channel: 'api',
        country: 'DE',
        routing: { segment: 'restart' },
      })
      primaryId = verification.id
    } finally {
      // The process ends before the primary's evidence and submit: the shadow run never starts.
      await before.close()
    }
    const after = await openPostgresStore({ dataDir })
    try {
      const kyc = clientOn(after)
      expect(await kyc.routing?.recordLostShadows({ before: new Date(Date.now() + 1_000) })).toBe(1)
      const entries = []
      for await (const entry of after.audit.read({ provider: 'primary', verificationId: primaryId }))
        entries.push(entry.routing)
      expect(entries.map((routing) => [routing?.role, routing?.stage, routing?.skipped])).toEqual([
        ['primary', undefined, []],
        ['shadow', 'planned', []],
        ['shadow', undefined, [{ provider: 'shadow', reason: 'process_ended' }]],
      ])
      expect((await kyc.routing?.agreementReport())?.pairs[0]?.notRun).toEqual({ process_ended: 1 })
      expect(shadow.calls).toHaveLength(0)
      expect((await verifyAuditChain(after.audit.read())).valid).toBe(true)
    } finally {
      await after.close()
    }
  }, 240_000)

  for (const target of testDatabases()) {
    it(`stores routing records in the audit log and keeps the hash chain valid (${target.name})`, async () => {
      const { store } = await freshStore(target)
      const kyc = createKyc({
        provider: 'down',
        adapters: {
          down: createMockAdapter({
            provider: 'down',
            results: {
              createVerification: () => {
                throw new KycProviderUnavailableError({
                  provider: 'down',
                  message: 'The down API answered 503.',
                })
              },
            },
          }),
          up: createMockAdapter({ provider: 'up' }),
        },
        store,
        env: {},
        routing: {
          coverage: { up: { countries: ['DE', 'FR'], documentTypes: ['passport', 'id_card'] } },
          fallback: ['up'],
          rules: [{ name: 'france', when: { countries: ['FR'] }, providers: ['up', 'down'] }],
        },
      })
      const { verification } = await kyc.createVerification({
        subjectReference: 'user_1',
        country: 'FR',
        documentTypes: ['id_card', 'passport'],
        routing: { segment: 'clean-approve' },
      })
      const entries = []
      for await (const entry of store.audit.read({ provider: 'up', verificationId: verification.id }))
        entries.push(entry)
      expect(entries).toHaveLength(1)
      expect(entries[0]?.routing).toEqual({
        role: 'primary',
        basis: 'rule',
        rule: 'france',
        chosen: 'up',
        attempts: [{ provider: 'up', result: 'created' }],
        skipped: [{ provider: 'down', reason: 'not_reached' }],
        country: 'FR',
        documentTypes: ['id_card', 'passport'],
        segment: 'clean-approve',
      })
      expect((await verifyAuditChain(store.audit.read())).valid).toBe(true)
      expect(await store.verifications.get({ provider: 'up', id: verification.id })).toMatchObject({
        subjectReference: 'user_1',
      })
    })
  }
})
