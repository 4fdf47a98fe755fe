import { isKycError } from '@openkyc/core'
import {
  createOnfidoSimulator,
  onfidoSimulatorApiToken,
  onfidoSimulatorWebhookToken,
  onfidoSimulatorWorkflowId,
} from '@openkyc/simulator-onfido'
import { createJpeg } from '@openkyc/testkit/harness'
import { describe, expect, it } from 'vitest'
import { createOnfido } from '../src/index.js'

const prefill = { firstName: 'Jane', lastName: 'Doe' }
const instantSleep = async () => {}
// Sizes within Onfido's documented limits, as the conformance suite uses.
const documentImage = createJpeg({ width: 800, height: 520 })
const selfieImage = createJpeg({ width: 600, height: 800 })

/**
 * The Onfido simulator behind a recording fetch. `loseNext(line)` makes the next matching request
 * reach the simulator (which acts on it) and then fail as a reset connection would: the outcome of
 * that request is unknown to the adapter.
 */
function setup() {
  const simulator = createOnfidoSimulator({ rateLimit: false })
  const lines: string[] = []
  const lost = new Set<string>()
  const fetch = async (input: Request | string | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init)
    const url = new URL(request.url)
    const line = `${request.method} ${url.pathname.replace(/^\/v3\.6\//, '').replace(/[0-9a-f-]{36}/g, ':id')}`
    lines.push(line)
    const response = await simulator.fetch(request)
    if (lost.delete(line)) {
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }),
      })
    }
    return response
  }
  const createAdapter = () =>
    createOnfido({
      apiToken: onfidoSimulatorApiToken,
      workflowId: onfidoSimulatorWorkflowId,
      webhookTokens: [onfidoSimulatorWebhookToken],
      rateLimit: false,
      env: {},
      fetch,
      sleep: instantSleep,
    })
  const checksOf = async (applicantId: string) => {
    const response = await simulator.fetch(
      new Request(`https://api.eu.onfido.com/v3.6/checks?applicant_id=${applicantId}`, {
        headers: { authorization: `Token token=${onfidoSimulatorApiToken}` },
      }),
    )
    return ((await response.json()) as { checks: unknown[] }).checks.length
  }
  return {
    simulator,
    lines,
    createAdapter,
    checksOf,
    loseNext: (line: string) => lost.add(line),
    /** The lines sent from now on. */
    mark: () => {
      const from = lines.length
      return () => lines.slice(from)
    },
  }
}

async function createAndUpload(adapter: ReturnType<ReturnType<typeof setup>['createAdapter']>) {
  const { verification } = await adapter.createVerification({
    subjectReference: 'user_1',
    channel: 'api',
    prefill,
  })
  const { reference } = verification
  await adapter.uploadCredential({
    reference,
    kind: 'id_document',
    part: 'front',
    documentType: 'passport',
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
  return verification
}

describe('submitVerification: requests sent and the one-check guarantee', () => {
  it('sends the SDK flow requests for an applicant it created: no applicant read and no check list', async () => {
    const { createAdapter, mark, checksOf } = setup()
    const adapter = createAdapter()
    const verification = await createAndUpload(adapter)
    const sent = mark()
    const submitted = await adapter.submitVerification({ reference: verification.reference })
    expect(sent().slice(0, 1)).toEqual(['POST checks'])
    expect(sent().slice(1).sort()).toEqual(['GET checks/:id', 'GET reports'])
    expect(['submitted', 'completed']).toContain(submitted.status)
    // The creation time comes from the create response, as getVerification reads it from Onfido.
    expect(submitted.createdAt).toBe(verification.createdAt)
    const read = await adapter.getVerification({ reference: verification.reference })
    expect(read.createdAt).toBe(verification.createdAt)
    expect(await checksOf(verification.id)).toBe(1)
  })

  it('a repeated submit, from the same instance or another one, lists the checks and starts none', async () => {
    const { createAdapter, mark, checksOf } = setup()
    const adapter = createAdapter()
    const verification = await createAndUpload(adapter)
    await adapter.submitVerification({ reference: verification.reference })
    const sent = mark()
    await adapter.submitVerification({ reference: verification.reference })
    expect(sent()).toEqual(['GET checks', 'GET reports'])
    // Another process (a fresh adapter) knows nothing of the applicant: it reads it and its checks.
    const other = mark()
    const elsewhere = await createAdapter().submitVerification({ reference: verification.reference })
    expect(other().slice(0, 2).sort()).toEqual(['GET applicants/:id', 'GET checks'])
    expect(other()).not.toContain('POST checks')
    expect(elsewhere.createdAt).toBe(verification.createdAt)
    expect(await checksOf(verification.id)).toBe(1)
  })

  it('after a check creation whose answer was lost, the next submit finds that check instead of starting a second', async () => {
    const { createAdapter, loseNext, checksOf } = setup()
    const adapter = createAdapter()
    const verification = await createAndUpload(adapter)
    loseNext('POST checks')
    const lostAnswer = await adapter
      .submitVerification({ reference: verification.reference })
      .catch((error: unknown) => error)
    // The POST is not repeated by the HTTP client (Onfido takes no idempotency key).
    expect(isKycError(lostAnswer) && lostAnswer.code).toBe('provider_unavailable')
    expect(await checksOf(verification.id)).toBe(1)
    const submitted = await adapter.submitVerification({ reference: verification.reference })
    expect(['submitted', 'completed']).toContain(submitted.status)
    expect(await checksOf(verification.id)).toBe(1)
  })

  it('concurrent submits of one verification in one instance start one check', async () => {
    const { createAdapter, checksOf } = setup()
    const adapter = createAdapter()
    const verification = await createAndUpload(adapter)
    const results = await Promise.all(
      [1, 2, 3].map(() => adapter.submitVerification({ reference: verification.reference })),
    )
    expect(new Set(results.map((result) => result.raw.checkId)).size).toBe(1)
    expect(await checksOf(verification.id)).toBe(1)
  })

  it('a check started through adapter.checks.create makes the next submit look before creating', async () => {
    const { createAdapter, checksOf, mark } = setup()
    const adapter = createAdapter()
    const verification = await createAndUpload(adapter)
    await adapter.checks.create({ applicantId: verification.id, reportNames: ['document'] })
    const sent = mark()
    await adapter.submitVerification({ reference: verification.reference })
    expect(sent()[0]).toBe('GET checks')
    expect(await checksOf(verification.id)).toBe(1)
  })

  it('a deleted applicant is not submitted: the verification reads as gone (not found)', async () => {
    const { createAdapter } = setup()
    const adapter = createAdapter()
    const verification = await createAndUpload(adapter)
    const second = await createAndUpload(adapter)
    // One deleted through this instance (it forgets the applicant), one through another instance.
    await adapter.deleteVerificationData({ reference: verification.reference })
    await createAdapter().deleteVerificationData({ reference: second.reference })
    for (const { reference } of [verification, second]) {
      const error = await adapter.submitVerification({ reference }).catch((thrown: unknown) => thrown)
      expect(isKycError(error) && error.code).toBe('not_found')
    }
  })
})
