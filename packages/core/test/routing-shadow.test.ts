import { describe, expect, it } from 'vitest'
import {
  createKyc,
  createMemoryStore,
  type KycEvent,
  KycProviderUnavailableError,
  type Verification,
  verifyAuditChain,
} from '../src/index.js'
import { createMockAdapter, type MockKycAdapter } from '../src/test/index.js'
import { seededPii } from './fixtures.js'
import { routingEntries } from './routing-support.js'

type Client = ReturnType<typeof createKyc>

/** An API-channel flow through the routed client: create, upload a document and a selfie, submit. */
async function apiFlow(kyc: Client, subjectReference: string, segment?: string) {
  const { verification } = await kyc.createVerification({
    subjectReference,
    channel: 'api',
    country: 'DE',
    documentTypes: ['passport'],
    prefill: { firstName: seededPii.firstName },
    ...(segment === undefined ? {} : { routing: { segment } }),
  })
  const call = { provider: verification.provider, reference: verification.reference }
  await kyc.uploadCredential({
    ...call,
    kind: 'id_document',
    part: 'front',
    documentType: 'passport',
    country: 'DE',
    content: new Uint8Array([1, 2, 3]),
    contentType: 'image/jpeg',
  })
  await kyc.uploadCredential({
    ...call,
    kind: 'selfie',
    part: 'front',
    content: new Uint8Array([4]),
    contentType: 'image/jpeg',
  })
  const submitted = await kyc.submitVerification(call)
  return { verification, submitted }
}

const never = () => new Promise<never>(() => {})

describe('routing: shadow runs', () => {
  it('sends the same evidence to the shadow after the primary returned, stores it, and never returns it', async () => {
    const primary = createMockAdapter({ provider: 'primary' })
    const shadow = createMockAdapter({ provider: 'shadow' })
    const store = createMemoryStore()
    const kyc = createKyc({
      provider: 'primary',
      adapters: { primary, shadow },
      store,
      env: {},
      routing: { shadow: { provider: 'shadow', percentage: 100 } },
    })
    const { verification, submitted } = await apiFlow(kyc, 'user_1', 'clean')
    // Nothing of the shadow run happened on the primary call's path.
    expect(shadow.calls).toHaveLength(0)
    expect(verification.provider).toBe('primary')
    expect(submitted.provider).toBe('primary')
    await kyc.routing?.drain()
    expect(shadow.calls.map((call) => call.method)).toEqual([
      'createVerification',
      'uploadCredential',
      'uploadCredential',
      'submitVerification',
    ])
    const shadowCreate = shadow.calls[0]
    expect(shadowCreate?.options).toMatchObject({ subjectReference: 'user_1', channel: 'api', country: 'DE' })
    const uploads = shadow.calls.filter((call) => call.method === 'uploadCredential')
    expect(uploads.map((call) => (call.options as { content: Uint8Array }).content)).toEqual([
      new Uint8Array([1, 2, 3]),
      new Uint8Array([4]),
    ])
    const shadowEntries = (await routingEntries(store)).filter((entry) => entry.routing.role === 'shadow')
    // Planned durably with the primary's creation, then the run's own entry.
    expect(shadowEntries.map((entry) => entry.routing.stage)).toEqual(['planned', undefined])
    expect(shadowEntries[0]).toMatchObject({
      provider: 'primary',
      verificationId: verification.id,
      routing: {
        chosen: 'shadow',
        attempts: [],
        primary: { provider: 'primary', verificationId: verification.id },
      },
    })
    const shadowEntry = shadowEntries[1]
    expect(shadowEntry).toMatchObject({
      provider: 'shadow',
      routing: {
        basis: 'shadow',
        chosen: 'shadow',
        segment: 'clean',
        primary: { provider: 'primary', verificationId: verification.id },
      },
    })
    // Stored as a verification with its provider and subject reference (erasure finds it).
    const stored = await store.verifications.get({
      provider: 'shadow',
      id: shadowEntry?.verificationId ?? '',
    })
    expect(stored).toMatchObject({ provider: 'shadow', subjectReference: 'user_1', status: 'submitted' })
    // The primary's stored state is the primary's own.
    expect(await store.verifications.get({ provider: 'primary', id: verification.id })).toMatchObject({
      provider: 'primary',
    })
    expect(kyc.routing?.shadowStatistics()).toMatchObject({ tracked: 1, started: 1, completed: 1, failed: 0 })
  })

  it('a shadow that hangs or fails never changes the primary result, and is abandoned after timeoutMs', async () => {
    for (const failure of ['hangs', 'fails'] as const) {
      const results = {
        createVerification:
          failure === 'hangs'
            ? never
            : () => {
                throw new KycProviderUnavailableError({
                  provider: 'shadow',
                  message: 'The shadow API answered 503.',
                })
              },
      }
      const withShadow = createKyc({
        provider: 'primary',
        adapters: {
          primary: createMockAdapter({ provider: 'primary' }),
          shadow: createMockAdapter({ provider: 'shadow', results }),
        },
        env: {},
        routing: { shadow: { provider: 'shadow', percentage: 100, timeoutMs: 50 } },
      })
      const without = createKyc({
        adapters: { primary: createMockAdapter({ provider: 'primary' }) },
        env: {},
      })
      const shadowed = await apiFlow(withShadow, 'user_1')
      const plain = await apiFlow(without, 'user_1')
      // The same primary result as without any shadow (timestamps aside), returned while the shadow hangs.
      const comparable = (verification: Verification) => ({ ...verification, createdAt: '', updatedAt: '' })
      expect(comparable(shadowed.submitted)).toEqual(comparable(plain.submitted))
      await withShadow.routing?.drain()
      expect(withShadow.routing?.shadowStatistics()).toMatchObject({ started: 1, failed: 1, completed: 0 })
      const shadowEntry = (await routingEntries(withShadow.store)).find(
        (entry) => entry.routing.role === 'shadow' && entry.routing.stage === undefined,
      )
      expect(shadowEntry).toMatchObject({
        provider: 'primary',
        verificationId: shadowed.verification.id,
        routing: {
          attempts: [{ provider: 'shadow', result: failure === 'hangs' ? 'timeout' : 'unavailable' }],
        },
      })
    }
  })

  it('never sends the shadow vendor more than its budget (percentage and rate)', async () => {
    const shadow = createMockAdapter({ provider: 'shadow' })
    const kyc = createKyc({
      provider: 'primary',
      adapters: { primary: createMockAdapter({ provider: 'primary' }), shadow },
      env: {},
      routing: {
        shadow: { provider: 'shadow', percentage: 40, rate: { limit: 10, intervalMs: 2_000_000_000 } },
      },
    })
    // The interval (23 days) spans the whole test: at most 10 runs may start.
    for (let index = 0; index < 200; index += 1) await apiFlow(kyc, `user_${index}`)
    await kyc.routing?.drain()
    const statistics = kyc.routing?.shadowStatistics()
    const shadowCreates = shadow.calls.filter((call) => call.method === 'createVerification').length
    expect(shadowCreates).toBe(10)
    expect(statistics?.started).toBe(10)
    // About 40 % were picked; those beyond the rate were skipped, and audited as such.
    expect(statistics?.tracked).toBeGreaterThan(60)
    expect(statistics?.tracked).toBeLessThan(100)
    expect(statistics?.skippedForBudget).toBe((statistics?.tracked ?? 0) - 10)
    const skipped = (await routingEntries(kyc.store)).filter((entry) =>
      entry.routing.skipped.some((skip) => skip.reason === 'budget_exhausted'),
    )
    expect(skipped).toHaveLength(statistics?.skippedForBudget ?? -1)
  })

  it('records a shadow run lost with its process (restart between upload and submit) as not run, never silently', async () => {
    const store = createMemoryStore()
    // The vendor keeps its state across our restart: one mock stands for it in both processes.
    const vendor = createMockAdapter({ provider: 'primary' })
    const clientOn = () =>
      createKyc({
        provider: 'primary',
        adapters: {
          primary: vendor,
          shadow: createMockAdapter({ provider: 'shadow' }),
        },
        store,
        env: {},
        routing: { shadow: { provider: 'shadow', percentage: 100 } },
      })
    const before = clientOn()
    const { verification } = await before.createVerification({
      subjectReference: 'user_1',
      channel: 'api',
      country: 'DE',
    })
    const call = { provider: verification.provider, reference: verification.reference }
    await before.uploadCredential({
      ...call,
      kind: 'selfie',
      part: 'front',
      content: new Uint8Array([1, 2, 3]),
      contentType: 'image/jpeg',
    })
    // The process ends here; the evidence in its memory is gone. A new process submits the primary.
    const after = clientOn()
    await after.submitVerification(call)
    await after.routing?.drain()
    expect(after.routing?.shadowStatistics().started).toBe(0)
    const planned = (await routingEntries(store)).filter((entry) => entry.routing.stage === 'planned')
    expect(planned).toHaveLength(1)
    // A run another live process may still hold is left alone by default.
    expect(await after.routing?.recordLostShadows()).toBe(0)
    // At start-up of a single instance: everything planned before now and never ended was lost.
    const restartedAt = new Date(Date.now() + 1_000)
    expect(await after.routing?.recordLostShadows({ before: restartedAt })).toBe(1)
    expect(await after.routing?.recordLostShadows({ before: restartedAt })).toBe(0)
    const lost = (await routingEntries(store)).filter((entry) =>
      entry.routing.skipped.some((skip) => skip.reason === 'process_ended'),
    )
    expect(lost).toEqual([
      expect.objectContaining({
        provider: 'primary',
        verificationId: verification.id,
        routing: expect.objectContaining({
          role: 'shadow',
          attempts: [],
          skipped: [{ provider: 'shadow', reason: 'process_ended' }],
          primary: { provider: 'primary', verificationId: verification.id },
        }),
      }),
    ])
    expect(lost[0]?.routing.stage).toBeUndefined()
    const report = await after.routing?.agreementReport()
    expect(report?.pairs).toEqual([
      expect.objectContaining({
        primaryProvider: 'primary',
        shadowProvider: 'shadow',
        notRun: { process_ended: 1 },
      }),
    ])
    expect(report?.pairs[0]?.totals.shadowed).toBe(0)
    expect((await verifyAuditChain(store.audit.read())).valid).toBe(true)
  })

  it('records every planned run let go in process (evidence too large) with its reason', async () => {
    const shadow = createMockAdapter({ provider: 'shadow' })
    const kyc = createKyc({
      provider: 'primary',
      adapters: { primary: createMockAdapter({ provider: 'primary' }), shadow },
      env: {},
      routing: { shadow: { provider: 'shadow', percentage: 100, maxEvidenceBytes: 2 } },
    })
    const { verification } = await apiFlow(kyc, 'user_1')
    await kyc.routing?.drain()
    expect(shadow.calls).toHaveLength(0)
    const ends = (await routingEntries(kyc.store)).filter(
      (entry) => entry.routing.role === 'shadow' && entry.routing.stage === undefined,
    )
    expect(ends.map((entry) => [entry.verificationId, entry.routing.skipped])).toEqual([
      [verification.id, [{ provider: 'shadow', reason: 'evidence_too_large' }]],
    ])
    // It has its end: nothing is left for recordLostShadows.
    expect(await kyc.routing?.recordLostShadows({ before: new Date(Date.now() + 1_000) })).toBe(0)
  })

  it('shadows API-channel verifications only', async () => {
    const shadow = createMockAdapter({ provider: 'shadow' })
    const kyc = createKyc({
      provider: 'primary',
      adapters: { primary: createMockAdapter({ provider: 'primary' }), shadow },
      env: {},
      routing: { shadow: { provider: 'shadow', percentage: 100 } },
    })
    const { verification } = await kyc.createVerification({ subjectReference: 'user_1' })
    await kyc.submitVerification({ provider: verification.provider, reference: verification.reference })
    await kyc.routing?.drain()
    expect(shadow.calls).toHaveLength(0)
  })
})

function completedEvent(
  verification: Verification,
  outcome: 'approved' | 'declined' | 'review',
  reasons: string[],
): KycEvent {
  const at = new Date().toISOString()
  return {
    id: `evt_${verification.provider}_${verification.id}`,
    provider: verification.provider,
    type: 'verification.completed',
    occurredAt: at,
    verification: {
      ...verification,
      session: undefined,
      identity: undefined,
      status: 'completed',
      completedAt: at,
      updatedAt: at,
      decision: {
        outcome,
        reasons: reasons.map((code) => ({ code: code as 'other', raw: code })),
        decidedBy: 'provider',
        raw: { status: outcome },
      },
    } as KycEvent['verification'],
    raw: { type: 'completed' },
  }
}

async function deliver(kyc: Client, adapter: MockKycAdapter, event: KycEvent) {
  const delivery = adapter.createWebhookDelivery([event])
  await kyc.routing?.webhooks(event.provider).handle({ rawBody: delivery.rawBody, headers: delivery.headers })
}

describe('routing: agreement report', () => {
  it('counts agreement per provider pair, segment, country and document type exactly as a count done here', async () => {
    const primary = createMockAdapter({ provider: 'primary' })
    const shadow = createMockAdapter({ provider: 'shadow' })
    const kyc = createKyc({
      provider: 'primary',
      adapters: { primary, shadow },
      env: {},
      routing: { shadow: { provider: 'shadow', percentage: 100 } },
    })
    const outcomes = ['approved', 'declined', 'review'] as const
    const reasonSets = [[], ['document_expired'], ['face_mismatch'], ['document_expired', 'face_mismatch']]
    const expected = { compared: 0, outcomeAgreed: 0, reasonsAgreed: 0, pending: 0 }
    const expectedBySegment = new Map<string, number>()
    const disagreeing: string[] = []
    for (let index = 0; index < 60; index += 1) {
      const segment = `scenario-${index % 3}`
      const { verification } = await apiFlow(kyc, `user_${index}`, segment)
      await kyc.routing?.drain()
      const shadowEntry = (await routingEntries(kyc.store)).find(
        (entry) =>
          entry.routing.role === 'shadow' &&
          entry.routing.stage === undefined &&
          entry.routing.primary?.verificationId === verification.id,
      )
      const shadowVerification = await kyc.store.verifications.get({
        provider: 'shadow',
        id: shadowEntry?.verificationId ?? '',
      })
      if (shadowVerification === undefined) throw new Error('the shadow verification was not stored')
      if (index % 10 === 9) {
        expected.pending += 1 // the shadow's decision never arrives
        const primaryOutcome = outcomes[index % 3] ?? 'approved'
        await deliver(kyc, primary, completedEvent(verification, primaryOutcome, []))
        continue
      }
      const primaryOutcome = outcomes[index % 3] ?? 'approved'
      const shadowOutcome = outcomes[(index * 7) % 3] ?? 'approved'
      const primaryReasons = reasonSets[index % 4] ?? []
      const shadowReasons = reasonSets[(index * 5) % 4] ?? []
      await deliver(kyc, primary, completedEvent(verification, primaryOutcome, primaryReasons))
      await deliver(
        kyc,
        shadow,
        completedEvent(shadowVerification, shadowOutcome, [...shadowReasons].reverse()),
      )
      expected.compared += 1
      const outcomeAgrees = primaryOutcome === shadowOutcome
      const reasonsAgree = [...primaryReasons].sort().join() === [...shadowReasons].sort().join()
      if (outcomeAgrees) {
        expected.outcomeAgreed += 1
        expectedBySegment.set(segment, (expectedBySegment.get(segment) ?? 0) + 1)
      }
      if (reasonsAgree) expected.reasonsAgreed += 1
      if (!outcomeAgrees || !reasonsAgree) disagreeing.push(verification.id)
    }
    const report = await kyc.routing?.agreementReport()
    expect(report?.pairs).toHaveLength(1)
    const pair = report?.pairs[0]
    expect(pair).toMatchObject({ primaryProvider: 'primary', shadowProvider: 'shadow' })
    expect(pair?.totals).toEqual({
      shadowed: 60,
      compared: expected.compared,
      pending: expected.pending,
      failed: 0,
      outcomeAgreed: expected.outcomeAgreed,
      reasonsAgreed: expected.reasonsAgreed,
      outcomeAgreement: expected.outcomeAgreed / expected.compared,
      reasonAgreement: expected.reasonsAgreed / expected.compared,
    })
    for (const [segment, agreed] of expectedBySegment) {
      expect(pair?.bySegment[segment]?.outcomeAgreed).toBe(agreed)
      expect(pair?.bySegment[segment]?.shadowed).toBe(20)
    }
    expect(pair?.byCountry.DE?.shadowed).toBe(60)
    expect(pair?.byDocumentType.passport?.compared).toBe(expected.compared)
    expect(pair?.disagreements.map((item) => item.primary.verificationId)).toEqual([...disagreeing].sort())
    expect(JSON.stringify(report)).not.toContain(seededPii.firstName)
  })
})
