import type { AuditEntry, KycAdapter, KycStore, Verification } from '@openkyc/core'
import { scenarios } from '@openkyc/testkit/catalogue'
import { afterEach, describe, expect, it } from 'vitest'
import { createRetention } from '../src/index.js'
import { testDatabases } from './databases.js'
import { createFor, onfidoPair, personaPair } from './providers.js'
import { useTestStores } from './stores.js'

const day = 86_400_000
const approve = scenarios.find((scenario) => scenario.id === 'clean_approve')!
const decline = scenarios.find((scenario) => scenario.id === 'face_mismatch')!

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = []
  for await (const item of iterable) items.push(item)
  return items
}

/** The application keeps the full read (identity included), as it may. */
async function keep(store: KycStore<never>, adapter: KycAdapter, verification: Verification) {
  const full = await adapter.getVerification({ reference: verification.reference })
  await store.transaction((transaction) => transaction.applyVerification(full))
  return full
}

const retentionRows = (audit: AuditEntry[]) =>
  audit
    .filter((entry) => entry.eventType?.startsWith('retention.'))
    .map((entry) => [entry.provider, entry.verificationId, entry.eventType])

describe.each(testDatabases())('retention on $name', (target) => {
  const stores = useTestStores(target)
  const cleanups: (() => void)[] = []
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup()
  })

  async function setUp() {
    const store = await stores.open()
    const persona = personaPair({ webhooks: false, maxRetries: 0 })
    const onfido = onfidoPair({ maxRetries: 0 })
    cleanups.push(() => onfido.simulator.shutdown())
    const made = {
      declinedA: await createFor(persona.adapter, 'subject-1', decline),
      declinedB: await createFor(persona.adapter, 'subject-2', decline),
      approved: await createFor(persona.adapter, 'subject-3', approve),
      open: await createFor(persona.adapter, 'subject-4', approve),
      onfido: await createFor(onfido.adapter, 'subject-5', approve),
    }
    for (const [verification, scenario] of [
      [made.declinedA, decline],
      [made.declinedB, decline],
      [made.approved, approve],
    ] as const) {
      await persona.simulator.persona.resolve(String(verification.reference.inquiryId), scenario.id, {
        applicant: scenario.applicant,
      })
    }
    await onfido.simulator.resolve(String(made.onfido.reference.workflowRunId), { scenarioId: approve.id })
    const kept: Record<keyof typeof made, Verification> = {
      declinedA: await keep(store, persona.adapter, made.declinedA),
      declinedB: await keep(store, persona.adapter, made.declinedB),
      approved: await keep(store, persona.adapter, made.approved),
      open: await keep(store, persona.adapter, made.open),
      onfido: await keep(store, onfido.adapter, made.onfido),
    }
    const completedAt = Date.parse(kept.declinedA.completedAt!)
    let now = completedAt
    const redactions: string[] = []
    const retention = createRetention({
      store,
      adapters: [persona.adapter, onfido.adapter],
      rules: [
        { name: 'persona-declined-30d', provider: 'persona', outcomes: ['declined'], afterMs: 30 * day },
        { name: 'onfido-90d', provider: 'onfido', afterMs: 90 * day },
      ],
      onEvent: ({ event, verification }) => {
        if (event.type === 'verification.redacted') redactions.push(String(verification?.id))
      },
      now: () => now,
    })
    return {
      store,
      persona,
      onfido,
      kept,
      retention,
      redactions,
      setNow: (ms: number) => (now = ms),
      completedAt,
    }
  }

  it('deletes vendor data a set time after completion, per provider and per outcome, and writes an audit row each', async () => {
    const { store, persona, kept, retention, redactions, setNow, completedAt } = await setUp()
    setNow(completedAt + 29 * day)
    expect((await retention.run()).verifications).toEqual([])

    setNow(completedAt + 31 * day)
    const first = await retention.run()
    expect(
      first.verifications.map((item) => [item.rule, item.verificationId, item.vendor, item.local]),
    ).toEqual(
      [kept.declinedA, kept.declinedB]
        .map((verification) => verification.id)
        .sort()
        .map((id) => ['persona-declined-30d', id, 'deleted', 'redacted']),
    )
    expect(first).toMatchObject({ deleted: 2, failed: 0 })
    for (const verification of [kept.declinedA, kept.declinedB]) {
      const stored = await store.verifications.get({ provider: 'persona', id: verification.id })
      expect(stored?.redactedAt).toBeDefined()
      expect(stored?.identity).toBeUndefined()
      expect(
        (await persona.adapter.getVerification({ reference: verification.reference })).redactedAt,
      ).toBeDefined()
    }
    // Approved, still open, and Onfido's (90 days) are kept, here and at the provider.
    for (const verification of [kept.approved, kept.open, kept.onfido]) {
      const stored = await store.verifications.get({ provider: verification.provider, id: verification.id })
      expect(stored?.redactedAt).toBeUndefined()
    }
    expect(redactions.sort()).toEqual([kept.declinedA.id, kept.declinedB.id].sort())
    expect(retentionRows(await collect(store.audit.read()))).toEqual(
      first.verifications.map((item) => ['persona', item.verificationId, 'retention.deleted']),
    )
    // The pipeline's redaction rows name the application too, as the job's rows do.
    const redactionActors = (await collect(store.audit.read()))
      .filter((entry) => entry.eventType === 'verification.redacted')
      .map((entry) => entry.actor)
    expect(redactionActors).toEqual(first.verifications.map(() => 'application'))

    // Idempotent: nothing is due again.
    expect((await retention.run()).verifications).toEqual([])

    setNow(completedAt + 91 * day)
    const later = await retention.run()
    expect(later.verifications.map((item) => [item.rule, item.provider, item.vendor])).toEqual([
      ['onfido-90d', 'onfido', 'deleted'],
    ])
  })

  it('resumable: a provider that fails keeps our copy for the next run; a deletion whose redaction was lost is found again', async () => {
    const { store, persona, onfido, kept, retention, setNow, completedAt } = await setUp()
    persona.simulator.failNext({ status: 503, match: { method: 'DELETE' } })
    setNow(completedAt + 31 * day)
    const first = await retention.run()
    expect(first).toMatchObject({ deleted: 1, failed: 1 })
    const failed = first.verifications.find((item) => item.vendor === 'failed')
    expect(failed).toMatchObject({ local: 'kept', error: 'provider_unavailable' })
    expect(
      (await store.verifications.get({ provider: 'persona', id: failed!.verificationId }))?.redactedAt,
    ).toBeUndefined()
    const second = await retention.run()
    expect(second.verifications.map((item) => [item.verificationId, item.vendor, item.local])).toEqual([
      [failed!.verificationId, 'deleted', 'redacted'],
    ])

    // A process deleted at the provider and died before redacting: the next run completes it.
    await onfido.adapter.deleteVerificationData!({ reference: kept.onfido.reference })
    setNow(completedAt + 91 * day)
    const resumed = await retention.run()
    expect(resumed.verifications.map((item) => [item.provider, item.vendor, item.local])).toEqual([
      ['onfido', 'already_deleted', 'redacted'],
    ])
    const rows = retentionRows(await collect(store.audit.read()))
    // Every attempt is in the audit log: the failure too, with its reason.
    expect(rows.map((row) => row[2]).sort()).toEqual([
      'retention.already_deleted',
      'retention.deleted',
      'retention.deleted',
      'retention.failed',
    ])
  })

  it('each run also removes the raw archive payloads past their own retention, and keeps the rest', async () => {
    const { store, retention } = await setUp()
    const payload = (verificationId: string, expiresAt: string) => ({
      provider: 'persona',
      kind: 'webhook_delivery' as const,
      receivedAt: '2001-01-01T00:00:00.000Z',
      expiresAt,
      verificationIds: [verificationId],
      eventIds: [`evt-${verificationId}`],
      keyId: 'k1',
      iv: 'AAAAAAAAAAAAAAAA',
      ciphertext: 'c2VhbGVk',
    })
    await store.archive!.put(payload('inq_expired', '2001-01-08T00:00:00.000Z'))
    await store.archive!.put(payload('inq_live', '2999-01-01T00:00:00.000Z'))

    const summary = await retention.run()
    expect(summary.archiveExpired).toBe(1)
    expect((await collect(store.archive!.read())).map((row) => row.verificationIds)).toEqual([['inq_live']])
    expect((await retention.run()).archiveExpired).toBe(0)
  })

  it('refuses rules that make no sense, naming the problem', async () => {
    const store = await stores.open()
    const { adapter } = personaPair({ webhooks: false })
    for (const rules of [
      [{ name: 'bad name!', afterMs: day }],
      [{ name: 'negative', afterMs: -1 }],
      [
        { name: 'twice', afterMs: day },
        { name: 'twice', afterMs: 2 * day },
      ],
    ]) {
      expect(() => createRetention({ store, adapters: [adapter], rules })).toThrow(/createRetention/)
    }
  })
})
