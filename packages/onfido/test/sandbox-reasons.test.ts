import {
  createOnfidoSimulator,
  onfidoSimulatorApiToken,
  onfidoSimulatorWorkflowId,
} from '@openkyc/simulator-onfido'
import { createJpeg } from '@openkyc/testkit/harness'
import { describe, expect, it } from 'vitest'
import { createOnfido } from '../src/index.js'

// Made once: encoding a JPEG in JavaScript is the slow part of this file.
const documentImage = createJpeg({ width: 800, height: 520 })
const selfieImage = createJpeg({ width: 600, height: 800 })

/** A classic check steered in Onfido's sandbox, read back through the simulator (written from Onfido's docs). */
async function steeredCheck(steering: { subResult?: 'suspected' | 'rejected'; consider?: string[] }) {
  const simulator = createOnfidoSimulator()
  const onfido = createOnfido({
    apiToken: onfidoSimulatorApiToken,
    workflowId: onfidoSimulatorWorkflowId,
    fetch: simulator.fetch,
    env: {},
  })
  const { verification } = await onfido.createVerification({
    subjectReference: 'user-sandbox',
    channel: 'api',
    prefill: { firstName: 'Quillonda', lastName: 'Testperson-Approve' },
  })
  const { reference } = verification
  await onfido.uploadCredential({
    reference,
    kind: 'id_document',
    part: 'front',
    documentType: 'passport',
    country: 'GB',
    content: documentImage,
    contentType: 'image/jpeg',
  })
  await onfido.uploadCredential({
    reference,
    kind: 'selfie',
    part: 'face',
    content: selfieImage,
    contentType: 'image/jpeg',
  })
  await onfido.checks.create({
    applicantId: String(reference.applicantId),
    reportNames: ['document', 'facial_similarity_photo'],
    ...steering,
  })
  await simulator.advanceTime(1000)
  return onfido.getVerification({ reference })
}

// Timeouts guard against hangs on a busy machine; they measure nothing.
describe('reasons of a sandbox-steered classic check, through the simulator', { timeout: 60_000 }, () => {
  it('a document sub-result of suspected, with every breakdown clear, reads as suspected_fraud', async () => {
    const read = await steeredCheck({ subResult: 'suspected' })
    expect(read.status).toBe('completed')
    expect(read.decision?.outcome).toBe('review')
    expect(read.checks.every((check) => check.outcome === 'passed')).toBe(true)
    expect(read.decision?.reasons).toEqual([
      { code: 'suspected_fraud', raw: 'document.sub_result.suspected' },
    ])
  })

  it('a rejected sub-result names no reason of its own (it covers several causes)', async () => {
    const read = await steeredCheck({ subResult: 'rejected' })
    expect(read.decision?.outcome).toBe('review')
    expect(read.decision?.reasons).toEqual([])
  })
})
