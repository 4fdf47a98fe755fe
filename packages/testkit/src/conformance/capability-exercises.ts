import { type EnforcedKycAdapter, isKycError, type KycAdapter, type KycCapability } from '@openkyc/core'
import { expect } from 'vitest'
import { scenarioById } from '../catalogue/scenarios.js'
import type { ConformanceDriver } from '../harness/driver.js'
import { createCsv, createJpeg } from '../harness/fixtures.js'
import { createOptionsFor, expectKycError, expectScenarioState } from './support.js'

/** What an exercise gets: a fresh adapter (capabilities enforced) and its driver. */
export type ExerciseContext = { adapter: EnforcedKycAdapter; driver: ConformanceDriver }

const cleanApprove = scenarioById('clean_approve')

async function createClean(adapter: KycAdapter, channel: 'hosted' | 'api' = 'hosted') {
  const { verification } = await adapter.createVerification({ ...createOptionsFor(cleanApprove), channel })
  return verification
}

/**
 * One end-to-end use of each optional capability, as an application would use it. `deleteData` is
 * exercised with the data-deletion guarantee: afterwards the verification reads as redacted or gone.
 */
export const capabilityExercises: Record<KycCapability, (context: ExerciseContext) => Promise<void>> = {
  async upload({ adapter }) {
    const verification = await createClean(adapter, 'api')
    const { applicant } = cleanApprove
    const reference = verification.reference
    // Sizes within every documented vendor limit (Jumio: documents ≥ 563×355, selfies ≥ 480×640).
    const documentImage = createJpeg({ width: 800, height: 520 })
    const selfieImage = createJpeg({ width: 600, height: 800 })
    const document = { documentType: applicant.documentType, country: applicant.issuingCountry }
    await adapter.uploadCredential({
      reference,
      kind: 'id_document',
      part: 'front',
      ...document,
      content: documentImage,
      contentType: 'image/jpeg',
    })
    await adapter.uploadCredential({
      reference,
      kind: 'selfie',
      part: 'face',
      content: selfieImage,
      contentType: 'image/jpeg',
    })
    const submitted = await adapter.submitVerification({ reference })
    expect(['submitted', 'completed']).toContain(submitted.status)
    expect(submitted.id).toBe(verification.id)
  },

  async sessionLink({ adapter }) {
    const verification = await createClean(adapter)
    const link = await adapter.createSessionLink({ reference: verification.reference, expiresInSeconds: 600 })
    expect(new URL(link.url).protocol).toMatch(/^https?:$/)
    if (link.expiresAt !== undefined) expect(Number.isNaN(Date.parse(link.expiresAt))).toBe(false)
  },

  async cancel({ adapter }) {
    const verification = await createClean(adapter)
    const cancelled = await adapter.cancelVerification({ reference: verification.reference })
    expect(cancelled.status).toBe('cancelled')
    expect((await adapter.getVerification({ reference: verification.reference })).status).toBe('cancelled')
  },

  async manualReview({ adapter, driver }) {
    const scenario = scenarioById('manual_review_then_approve')
    const { verification } = await adapter.createVerification(createOptionsFor(scenario))
    await driver.runScenario({ reference: verification.reference, scenario, stage: 'intermediate' })
    const reviewed = await adapter.reviewVerification({
      reference: verification.reference,
      action: 'approve',
    })
    expect(reviewed.decision).toMatchObject({ outcome: 'approved', decidedBy: 'manual' })
    // A vendor that shows a reviewer's verdict only by webhook cannot show it on a read.
    if ((driver.manualVerdicts ?? 'read') === 'webhook-only') return
    const read = await adapter.getVerification({ reference: verification.reference })
    expect(read.decision).toMatchObject({ outcome: 'approved', decidedBy: 'manual' })
  },

  async deleteData({ adapter, driver }) {
    const { verification } = await adapter.createVerification(createOptionsFor(cleanApprove))
    await driver.runScenario({ reference: verification.reference, scenario: cleanApprove })
    expectScenarioState(
      await adapter.getVerification({ reference: verification.reference }),
      cleanApprove.expected,
      'before deletion',
      { checkResults: driver.checkResults ?? 'reported' },
    )
    await adapter.deleteVerificationData({ reference: verification.reference })
    const after = await adapter.getVerification({ reference: verification.reference }).catch((error) => error)
    if (isKycError(after)) {
      expectKycError(after, 'not_found')
    } else {
      expect(after.redactedAt, 'redactedAt is set after deletion').toBeDefined()
      expect(after.identity, 'no identity after deletion').toBeUndefined()
    }
  },

  async simulate({ adapter }) {
    const verification = await createClean(adapter)
    const simulated = await adapter.simulateVerification({
      reference: verification.reference,
      outcome: 'approved',
    })
    expect(simulated.status).toBe('completed')
    expect(simulated.decision?.outcome).toBe('approved')
  },

  async lists({ adapter }) {
    const list = await adapter.createList({ kind: 'email_address', name: 'conformance blocklist' })
    expect(list).toMatchObject({ kind: 'email_address', archived: false })
    expect(list.id.length).toBeGreaterThan(0)
    await adapter.addListItems({ listId: list.id, items: [{ value: 'blocked-1@example.test' }] })
    const csv = createCsv({
      header: ['value'],
      rows: [['blocked-2@example.test'], ['blocked-3@example.test']],
    })
    const imported = await adapter.importListItems({ listId: list.id, csv })
    expect(['pending', 'ready', 'errored']).toContain(imported.status)
    if (imported.status === 'ready') expect(imported.successfulCount + imported.duplicateCount).toBe(2)
  },

  async cases({ adapter }) {
    const verification = await createClean(adapter)
    const created = await adapter.createCase({ verifications: [verification.reference] })
    expect(created.id.length).toBeGreaterThan(0)
    const updated = await adapter.setCaseStatus({ caseId: created.id, status: created.status })
    expect(updated.id).toBe(created.id)
    const assigned = await adapter.assignCase({ caseId: created.id, assignee: 'reviewer@example.test' })
    expect(assigned.id).toBe(created.id)
  },
}
