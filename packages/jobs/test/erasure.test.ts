import {
  type AuditEntry,
  createWebhookPipeline,
  isKycError,
  type KycAdapter,
  type KycStore,
  type ProcessedWebhookEvent,
  type Verification,
} from '@openkyc/core'
import { scenarios } from '@openkyc/testkit/catalogue'
import { afterEach, describe, expect, it } from 'vitest'
import { createErasure, type ErasureReceipt } from '../src/index.js'
import { testDatabases } from './databases.js'
import { createFor, jumioPair, onfidoPair, personaPair } from './providers.js'
import { useTestStores } from './stores.js'
import { installTelemetry } from './telemetry.js'

const telemetry = installTelemetry()
const approve = scenarios.find((scenario) => scenario.id === 'clean_approve')!
const decline = scenarios.find((scenario) => scenario.id === 'face_mismatch')!
const subject = 'subject-erase-7c1e'
const bystander = 'subject-keep-2b9d'

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = []
  for await (const item of iterable) items.push(item)
  return items
}

/** What the application does when it creates a verification: it keeps the state (and, here, the full read with identity). */
async function record(store: KycStore<never>, adapter: KycAdapter, verification: Verification) {
  const pipeline = createWebhookPipeline({ adapter, store })
  pipeline.close()
  await pipeline.applyVerification(verification)
  const full = await adapter.getVerification({ reference: verification.reference })
  await store.transaction((transaction) => transaction.applyVerification(full))
}

/** Every value of the applicants' personal data, and the subject reference, for `not.toContain` sweeps. */
const forbidden = [
  ...[approve, decline].flatMap((scenario) => [
    scenario.applicant.firstName,
    scenario.applicant.lastName,
    scenario.applicant.dateOfBirth,
  ]),
  subject,
]

function deletesAt(simulator: { requests: readonly { method: string; path: string }[] }) {
  return simulator.requests.filter(
    (request) => request.method === 'DELETE' || (request.method === 'POST' && /\/redact$/.test(request.path)),
  ).length
}

function erasureRows(audit: AuditEntry[], receipt: ErasureReceipt) {
  return audit
    .filter((entry) => entry.eventId === `erasure:${receipt.id}`)
    .map((entry) => ({
      provider: entry.provider,
      verificationId: entry.verificationId,
      eventType: entry.eventType,
      action: entry.action,
      actor: entry.actor,
    }))
}

describe.each(testDatabases())('eraseSubject on $name', (target) => {
  const stores = useTestStores(target)
  const cleanups: (() => Promise<void> | void)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  async function setUp() {
    const store = await stores.open()
    const persona = personaPair({ webhooks: false, maxRetries: 0 })
    const jumio = jumioPair({ maxRetries: 0 })
    const onfido = onfidoPair({ maxRetries: 0 })
    cleanups.push(
      () => jumio.simulator.shutdown(),
      () => onfido.simulator.shutdown(),
    )
    const verifications = {
      persona: await createFor(persona.adapter, subject, approve),
      jumio: await createFor(jumio.adapter, subject, decline),
      onfido: await createFor(onfido.adapter, subject, approve),
      bystander: await createFor(persona.adapter, bystander, approve),
    }
    await persona.simulator.persona.resolve(String(verifications.persona.reference.inquiryId), approve.id, {
      applicant: approve.applicant,
    })
    await persona.simulator.persona.resolve(String(verifications.bystander.reference.inquiryId), approve.id, {
      applicant: approve.applicant,
    })
    await jumio.simulator.resolve(verifications.jumio.reference as never, decline.id, {
      applicant: decline.applicant,
    })
    await onfido.simulator.resolve(String(verifications.onfido.reference.workflowRunId), {
      scenarioId: approve.id,
    })
    await record(store, persona.adapter, verifications.persona)
    await record(store, persona.adapter, verifications.bystander)
    await record(store, jumio.adapter, verifications.jumio)
    await record(store, onfido.adapter, verifications.onfido)
    const handled: ProcessedWebhookEvent[] = []
    const logLines: string[] = []
    const erasure = createErasure({
      store,
      adapters: [persona.adapter, jumio.adapter, onfido.adapter],
      onEvent: (processed) => {
        handled.push(processed)
      },
      logger: { warn: (message, fields) => logLines.push(JSON.stringify([message, fields])) },
    })
    return { store, persona, jumio, onfido, verifications, erasure, handled, logLines }
  }

  it('a subject verified at three providers is erased everywhere: the simulators confirm, the receipt and the audit rows match', async () => {
    const { store, persona, jumio, onfido, verifications, erasure, handled, logLines } = await setUp()
    const stored = await store.verifications.find({ subjectReference: subject, limit: 10 })
    expect(stored.verifications.map((verification) => verification.identity?.lastName)).toEqual([
      decline.applicant.lastName,
      approve.applicant.lastName,
      approve.applicant.lastName,
    ])

    // Encrypted vendor payloads in the raw archive, one per verification (the bystander's included).
    const archived = [
      verifications.persona,
      verifications.jumio,
      verifications.onfido,
      verifications.bystander,
    ]
    for (const verification of archived) {
      await store.archive!.put({
        provider: verification.provider,
        kind: 'retrieval_response',
        receivedAt: '2026-01-01T00:00:00.000Z',
        expiresAt: '2999-01-01T00:00:00.000Z',
        verificationIds: [verification.id],
        eventIds: [],
        keyId: 'k1',
        iv: 'AAAAAAAAAAAAAAAA',
        ciphertext: 'c2VhbGVk',
      })
    }

    const receipt = await erasure.eraseSubject(subject)
    expect(receipt.complete).toBe(true)
    // The subject's archived payloads are gone; the bystander's stays.
    expect((await collect(store.archive!.read())).map((row) => row.verificationIds)).toEqual([
      [verifications.bystander.id],
    ])
    expect(receipt.verifications).toEqual([
      { provider: 'jumio', verificationId: verifications.jumio.id, vendor: 'deleted', local: 'redacted' },
      { provider: 'onfido', verificationId: verifications.onfido.id, vendor: 'deleted', local: 'redacted' },
      { provider: 'persona', verificationId: verifications.persona.id, vendor: 'deleted', local: 'redacted' },
    ])

    // The simulators confirm: one deletion each, and the provider no longer gives the data out.
    expect([deletesAt(persona.simulator), deletesAt(jumio.simulator), deletesAt(onfido.simulator)]).toEqual([
      1, 1, 1,
    ])
    const personaAfter = await persona.adapter.getVerification({ reference: verifications.persona.reference })
    expect(personaAfter.redactedAt).toBeDefined()
    expect(personaAfter.identity).toBeUndefined()
    for (const [adapter, verification] of [
      [jumio.adapter, verifications.jumio],
      [onfido.adapter, verifications.onfido],
    ] as const) {
      const error = await adapter
        .getVerification({ reference: verification.reference })
        .catch((caught) => caught)
      expect(isKycError(error) && error.code).toBe('not_found')
    }

    // Our copies are redacted; the bystander's is untouched, at the provider too.
    for (const verification of (await store.verifications.find({ subjectReference: subject, limit: 10 }))
      .verifications) {
      expect(verification.redactedAt).toBeDefined()
      expect(verification.identity).toBeUndefined()
    }
    const kept = await store.verifications.get({ provider: 'persona', id: verifications.bystander.id })
    expect(kept?.redactedAt).toBeUndefined()
    expect(kept?.identity?.lastName).toBe(approve.applicant.lastName)
    expect(
      (await persona.adapter.getVerification({ reference: verifications.bystander.reference })).redactedAt,
    ).toBeUndefined()

    // The audit log repeats the receipt row by row, beside each redaction's own entry.
    const audit = await collect(store.audit.read())
    expect(erasureRows(audit, receipt)).toEqual(
      receipt.verifications.map((item) => ({
        provider: item.provider,
        verificationId: item.verificationId,
        eventType: `erasure.${item.vendor}`,
        action: 'deletion',
        actor: 'application',
      })),
    )
    const redactions = audit.filter((entry) => entry.eventType === 'verification.redacted')
    expect(redactions.map((entry) => entry.verificationId).sort()).toEqual(
      receipt.verifications.map((item) => item.verificationId).sort(),
    )
    // Both rows of a redaction name who caused it: the application, not the provider.
    expect(redactions.map((entry) => entry.actor)).toEqual(redactions.map(() => 'application'))
    // The application's handler saw each redaction once, in its transaction.
    expect(handled.map((processed) => [processed.event.type, processed.changes])).toEqual([
      ['verification.redacted', ['redaction']],
      ['verification.redacted', ['redaction']],
      ['verification.redacted', ['redaction']],
    ])

    // Again (a retried job): nothing more at the providers, nothing for the handler, the same answer.
    const again = await erasure.eraseSubject(subject, { erasureId: receipt.id })
    expect(again.complete).toBe(true)
    expect(again.verifications.map((item) => [item.vendor, item.local])).toEqual([
      ['already_deleted', 'already_redacted'],
      ['already_deleted', 'already_redacted'],
      ['already_deleted', 'already_redacted'],
    ])
    expect([deletesAt(persona.simulator), deletesAt(jumio.simulator), deletesAt(onfido.simulator)]).toEqual([
      1, 1, 1,
    ])
    expect(handled).toHaveLength(3)

    // No personal data (nor the subject reference) in the receipt, the audit rows, the spans or the logs.
    const everything = JSON.stringify([receipt, again, await collect(store.audit.read()), logLines])
    for (const value of forbidden) {
      expect(everything).not.toContain(value)
      expect(telemetry.spanText()).not.toContain(value)
    }
    expect(telemetry.spanNames()).toContain('openkyc.jobs.erase_subject')
  })

  it('a provider that fails is reported with its error code and retried until the receipt is complete', async () => {
    const { store, jumio, onfido, verifications, erasure } = await setUp()
    onfido.simulator.failNext({ status: 503, match: { method: 'DELETE' } })
    const first = await erasure.eraseSubject(subject)
    expect(first.complete).toBe(false)
    expect(first.verifications.find((item) => item.provider === 'onfido')).toEqual({
      provider: 'onfido',
      verificationId: verifications.onfido.id,
      vendor: 'failed',
      local: 'redacted',
      error: 'provider_unavailable',
    })
    // Our copy is redacted at once all the same; the provider's deletion is what is left.
    expect(
      (await store.verifications.get({ provider: 'onfido', id: verifications.onfido.id }))?.redactedAt,
    ).toBeDefined()
    const failedRow = (await collect(store.audit.read({ provider: 'onfido' }))).find(
      (entry) => entry.eventType === 'erasure.failed',
    )
    expect(failedRow?.reasons).toEqual([{ code: 'technical_error', raw: 'provider_unavailable' }])

    const retry = await erasure.eraseSubject(subject, { erasureId: first.id })
    expect(retry.complete).toBe(true)
    expect(retry.verifications.map((item) => [item.provider, item.vendor])).toEqual([
      ['jumio', 'already_deleted'],
      ['onfido', 'deleted'],
      ['persona', 'already_deleted'],
    ])
    expect(deletesAt(jumio.simulator)).toBe(1)
    expect(deletesAt(onfido.simulator)).toBe(2)
  })

  it('says what it cannot do and why: a provider without deletion, a provider not installed here', async () => {
    const { store, persona, jumio, verifications } = await setUp()
    const { deleteVerificationData: _omitted, ...personaWithoutDelete } = persona.adapter
    const erasure = createErasure({
      store,
      adapters: [
        { ...personaWithoutDelete, capabilities: { ...persona.adapter.capabilities, deleteData: false } },
        jumio.adapter,
      ],
    })
    const receipt = await erasure.eraseSubject(subject)
    expect(receipt.complete).toBe(true)
    expect(receipt.verifications.map((item) => [item.provider, item.vendor, item.local])).toEqual([
      ['jumio', 'deleted', 'redacted'],
      ['onfido', 'no_adapter', 'redacted'],
      ['persona', 'not_supported', 'redacted'],
    ])
    const reasons = (await collect(store.audit.read()))
      .filter((entry) => entry.eventId === `erasure:${receipt.id}`)
      .map((entry) => [entry.provider, entry.reasons])
    expect(reasons).toEqual([
      ['jumio', []],
      ['onfido', [{ code: 'other', raw: 'adapter_not_installed' }]],
      ['persona', [{ code: 'other', raw: 'delete_data_not_declared' }]],
    ])
    expect(deletesAt(persona.simulator)).toBe(0)
    expect(
      (await store.verifications.get({ provider: 'persona', id: verifications.persona.id }))?.redactedAt,
    ).toBeDefined()
  })

  it('refuses an empty or overlong subject reference before touching anything', async () => {
    const erasure = createErasure({ store: await stores.open(), adapters: [] })
    for (const bad of ['', 'x'.repeat(201), undefined]) {
      const error = await erasure.eraseSubject(bad as never).catch((caught: unknown) => caught)
      expect(isKycError(error) && error.code).toBe('invalid_request')
    }
  })
})
