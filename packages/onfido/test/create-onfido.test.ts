import { computeHmacSha256, isKycError, KycEventSchema, VerificationSchema } from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import { createOnfido } from '../src/index.js'
import { createFakeOnfido } from './fake-onfido.js'
import { fixturePersonalData, fixtureText, ids, testSettings } from './fixtures.js'

const prefill = { firstName: 'Jane', lastName: 'Doe', dateOfBirth: '1990-01-01' }
const hostedReference = { applicantId: ids.applicant, workflowRunId: ids.workflowRun }
const apiReference = { applicantId: ids.applicant }
const instantSleep = async () => {}

function setup(options: Parameters<typeof createFakeOnfido>[0] = {}) {
  const fake = createFakeOnfido(options)
  const logs: unknown[] = []
  const logger = { debug: (message: string, fields?: unknown) => logs.push({ message, fields }) }
  const adapter = createOnfido({
    ...testSettings,
    fetch: fake.fetch,
    logger,
    now: () => Date.parse('2026-01-02T00:00:00Z'),
    sleep: instantSleep,
  })
  return { fake, adapter, logs }
}

function signed(name: string, token: string = testSettings.webhookTokens[0]) {
  const rawBody = fixtureText(name)
  return { rawBody, headers: new Headers({ 'x-sha2-signature': computeHmacSha256(token, rawBody) }) }
}

describe('createVerification (hosted)', () => {
  it('creates an applicant, then a Studio workflow run, and hands over its link and SDK token', async () => {
    const { fake, adapter } = setup()
    const { verification } = await adapter.createVerification({
      subjectReference: 'user_123',
      prefill,
      redirectUrl: 'https://app.example.test/done',
      locale: 'de-DE',
    })
    expect(fake.lines()).toEqual(['POST applicants', 'POST workflow_runs'])
    const [applicant, run] = fake.requests
    expect(applicant?.headers.get('authorization')).toBe('Token token=api_sandbox.secret-token-value')
    expect(applicant?.headers.get('content-type')).toBe('application/json')
    expect(applicant?.json).toEqual({ first_name: 'Jane', last_name: 'Doe', dob: '1990-01-01' })
    expect(run?.json).toEqual({
      workflow_id: ids.workflow,
      applicant_id: ids.applicant,
      customer_user_id: 'user_123',
      link: { completed_redirect_url: 'https://app.example.test/done', language: 'de_DE' },
    })
    expect(VerificationSchema.parse(verification)).toEqual(verification)
    expect(verification).toMatchObject({
      id: ids.workflowRun,
      provider: 'onfido',
      reference: hostedReference,
      subjectReference: 'user_123',
      status: 'created',
      checks: [],
      session: {
        url: `https://eu.onfido.app/l/${ids.workflowRun}`,
        sdkToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
        expiresAt: '2026-01-08T00:00:00.000Z',
      },
      raw: { status: 'awaiting_input', workflowRunId: ids.workflowRun, timestampsFrom: 'onfido' },
    })
  })

  it('sends requests to the configured region', async () => {
    const seen: string[] = []
    const fake = createFakeOnfido()
    const adapter = createOnfido({
      ...testSettings,
      region: 'ca',
      fetch: async (input, init) => {
        seen.push(new URL(input instanceof Request ? input.url : String(input)).host)
        return fake.fetch(input, init)
      },
    })
    await adapter.createVerification({ subjectReference: 'user_123', prefill })
    expect(seen).toEqual(['api.ca.onfido.com', 'api.ca.onfido.com'])
  })

  it('refuses options Onfido cannot take, before any request, without echoing values', async () => {
    const { fake, adapter } = setup()
    const missingNames = await adapter
      .createVerification({ subjectReference: 'user_123' })
      .catch((error: unknown) => error)
    expect(isKycError(missingNames) && missingNames.code).toBe('invalid_request')
    const forbidden = await adapter
      .createVerification({ subjectReference: 'user_123', prefill: { firstName: 'Ja<ne', lastName: 'Doe' } })
      .catch((error: unknown) => error)
    expect(isKycError(forbidden) && forbidden.code).toBe('invalid_request')
    expect(JSON.stringify(forbidden)).not.toContain('Ja<ne')
    expect(fake.requests).toHaveLength(0)
  })
})

describe('getVerification', () => {
  it('reads the workflow run, the applicant checks and their reports into status, decision, checks and identity', async () => {
    const { fake, adapter } = setup()
    const verification = await adapter.getVerification({ reference: hostedReference })
    expect(fake.lines()).toEqual([`GET workflow_runs/${ids.workflowRun}`, 'GET checks', 'GET reports'])
    expect(fake.requests[1]?.search.get('applicant_id')).toBe(ids.applicant)
    expect(VerificationSchema.parse(verification)).toEqual(verification)
    expect(verification).toMatchObject({
      status: 'completed',
      subjectReference: 'user_123',
      decision: {
        outcome: 'approved',
        reasons: [],
        decidedBy: 'provider',
        decidedAt: '2026-01-01T00:05:00.000Z',
      },
      identity: {
        firstName: 'Jane',
        lastName: 'Doe',
        dateOfBirth: '1990-01-01',
        documentNumber: '999999999',
        documentType: 'passport',
        issuingCountry: 'GB',
        nationality: 'GB',
        expiryDate: '2031-05-28',
        issueDate: '2021-05-28',
        sex: 'female',
      },
      completedAt: '2026-01-01T00:05:00.000Z',
    })
    expect(new Set(verification.checks.map((check) => check.kind))).toEqual(
      new Set([
        'data_consistency',
        'data_extraction',
        'document_quality',
        'document_authenticity',
        'database',
        'age',
        'face_match',
        'liveness',
        'other',
      ]),
    )
    expect(verification.checks.every((check) => check.outcome === 'passed')).toBe(true)
  })

  it('explains a decline with the reasons of the breakdowns that need a look', async () => {
    const { adapter } = setup({ run: 'workflow-run-declined.json', reports: 'reports-expired-document.json' })
    const verification = await adapter.getVerification({ reference: hostedReference })
    expect(verification.decision).toMatchObject({
      outcome: 'declined',
      reasons: [{ code: 'document_expired', raw: 'document.data_validation.document_expiration' }],
    })
    expect(verification.checks.find((check) => check.raw.name === 'document.data_validation')).toMatchObject({
      kind: 'data_extraction',
      outcome: 'failed',
      raw: { label: 'consider', subResult: 'caution' },
    })
  })

  it('maps a status and fields Onfido adds later instead of failing, and logs no personal data', async () => {
    const { fake, adapter, logs } = setup()
    fake.override((request) =>
      request.path.startsWith('workflow_runs/')
        ? Response.json({
            id: ids.workflowRun,
            applicant_id: ids.applicant,
            workflow_id: ids.workflow,
            status: 'awaiting_second_opinion',
            brand_new_field: { nested: [1, 2, 3] },
            reasons: null,
            link: null,
          })
        : undefined,
    )
    const verification = await adapter.getVerification({ reference: hostedReference })
    expect(verification).toMatchObject({
      status: 'submitted',
      raw: { status: 'awaiting_second_opinion', timestampsFrom: 'received' },
      createdAt: '2026-01-02T00:00:00.000Z',
    })
    expect(verification.decision).toBeUndefined()
    expect(logs.length).toBeGreaterThan(0)
    expect(JSON.stringify(logs)).not.toMatch(
      new RegExp([...fixturePersonalData, 'secret-token-value'].join('|')),
    )
  })

  it('reads a run in error as review with technical_error', async () => {
    const { adapter } = setup({ run: 'workflow-run-error.json', checks: null })
    const verification = await adapter.getVerification({ reference: hostedReference })
    expect(verification.decision).toMatchObject({
      outcome: 'review',
      reasons: [{ code: 'technical_error', raw: 'task_failed' }],
    })
  })

  it('marks a deleted applicant as redacted: no identity, no checks', async () => {
    const { adapter } = setup({ applicantDeleted: true })
    const hosted = await adapter.getVerification({ reference: hostedReference })
    expect(hosted.redactedAt).toBe('2026-01-02T00:00:00.000Z')
    expect(hosted.identity).toBeUndefined()
    expect(hosted.checks).toEqual([])
    const api = await adapter.getVerification({ reference: apiReference })
    expect(api.redactedAt).toBeDefined()
    expect(api.identity).toBeUndefined()
  })

  it('refuses a reference that is not Onfido UUIDs before any request', async () => {
    const { fake, adapter } = setup()
    const error = await adapter
      .getVerification({ reference: { applicantId: '../../webhooks', workflowRunId: ids.workflowRun } })
      .catch((thrown: unknown) => thrown)
    expect(isKycError(error) && error.code).toBe('invalid_request')
    expect(fake.requests).toHaveLength(0)
  })
})

describe('API channel: upload and submit', () => {
  it('creates only an applicant, uploads the document and live photo as multipart, then starts one classic check', async () => {
    const { fake, adapter } = setup({ checks: null })
    const { verification } = await adapter.createVerification({
      subjectReference: 'user_123',
      prefill,
      channel: 'api',
    })
    expect(verification).toMatchObject({ id: ids.applicant, reference: apiReference, status: 'created' })
    await adapter.uploadCredential({
      reference: verification.reference,
      kind: 'id_document',
      part: 'front',
      documentType: 'id_card',
      country: 'FR',
      content: new Uint8Array([0xff, 0xd8, 0xff, 1, 2, 3]),
      contentType: 'image/jpeg',
    })
    await adapter.uploadCredential({
      reference: verification.reference,
      kind: 'selfie',
      part: 'face',
      content: new Uint8Array([0xff, 0xd8, 0xff, 4, 5, 6]),
      contentType: 'image/jpeg',
    })
    const document = fake.requests.find((request) => request.path === 'documents')
    expect(document?.form?.get('applicant_id')).toBe(ids.applicant)
    expect(document?.form?.get('type')).toBe('national_identity_card')
    expect(document?.form?.get('side')).toBe('front')
    expect(document?.form?.get('issuing_country')).toBe('FRA')
    const file = document?.form?.get('file') as File
    expect(file.type).toBe('image/jpeg')
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(new Uint8Array([0xff, 0xd8, 0xff, 1, 2, 3]))
    const photo = fake.requests.find((request) => request.path === 'live_photos')
    expect(photo?.form?.get('applicant_id')).toBe(ids.applicant)

    const submitted = await adapter.submitVerification({ reference: verification.reference })
    const checkRequests = fake.requests.filter(
      (request) => request.method === 'POST' && request.path === 'checks',
    )
    expect(checkRequests.map((request) => request.json)).toEqual([
      { applicant_id: ids.applicant, report_names: ['document', 'facial_similarity_photo'] },
    ])
    expect(submitted).toMatchObject({
      id: ids.applicant,
      status: 'completed',
      decision: { outcome: 'approved' },
    })

    // A repeated submit (the first response lost) creates no second check.
    await adapter.submitVerification({ reference: verification.reference })
    expect(
      fake.requests.filter((request) => request.method === 'POST' && request.path === 'checks'),
    ).toHaveLength(1)
  })

  it('sends personal data as applicant fields and refuses keys Onfido does not take', async () => {
    const { fake, adapter } = setup()
    await adapter.uploadCredential({
      reference: apiReference,
      kind: 'personal_data',
      data: { firstName: 'Jane', email: 'jane@example.test' },
    })
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'PUT',
      path: `applicants/${ids.applicant}`,
      json: { first_name: 'Jane', email: 'jane@example.test' },
    })
    for (const data of [JSON.parse('{"__proto__":"x"}'), { toString: 'x' }, { ssn: '1' }]) {
      const refused = await adapter
        .uploadCredential({ reference: apiReference, kind: 'personal_data', data })
        .catch((error: unknown) => error)
      expect(isKycError(refused) && refused.code).toBe('invalid_request')
    }
    expect(fake.requests).toHaveLength(1)
  })

  it('refuses live video uploads and uploads to a hosted (Studio) verification', async () => {
    const { fake, adapter } = setup()
    const video = await adapter
      .uploadCredential({
        reference: apiReference,
        kind: 'liveness',
        part: 'video',
        content: new Uint8Array([1]),
        contentType: 'image/jpeg',
      })
      .catch((error: unknown) => error)
    expect(isKycError(video) && video.code).toBe('invalid_request')
    const hosted = await adapter
      .uploadCredential({
        reference: hostedReference,
        kind: 'selfie',
        part: 'face',
        content: new Uint8Array([1]),
        contentType: 'image/jpeg',
      })
      .catch((error: unknown) => error)
    expect(isKycError(hosted) && hosted.code).toBe('invalid_state')
    expect(fake.requests).toHaveLength(0)
  })
})

describe('deletion and restore', () => {
  it('reports a delete refused while checks run as an invalid state', async () => {
    const { fake, adapter } = setup()
    fake.override(() =>
      Response.json(
        {
          error: {
            type: 'deletion_incomplete_checks',
            message: 'Applicants with checks in progress cannot be deleted.',
          },
        },
        { status: 422 },
      ),
    )
    const error = await adapter.deleteVerificationData({ reference: apiReference }).catch((e: unknown) => e)
    expect(isKycError(error) && error.code).toBe('invalid_state')
  })

  it('deletes the applicant, and restores it during the deletion delay', async () => {
    const { fake, adapter } = setup()
    await adapter.deleteVerificationData({ reference: hostedReference })
    await adapter.restoreApplicant({ reference: hostedReference })
    expect(fake.lines()).toEqual([
      `DELETE applicants/${ids.applicant}`,
      `POST applicants/${ids.applicant}/restore`,
    ])
  })
})

describe('classic checks on the adapter surface', () => {
  it('passes sandbox steering (consider, sub_result) with a sandbox token, refuses it with a live one', async () => {
    const { fake, adapter } = setup()
    await adapter.checks.create({
      applicantId: ids.applicant,
      reportNames: ['document', 'watchlist_standard'],
      consider: ['watchlist_standard'],
      subResult: 'suspected',
    })
    expect(fake.requests.at(-1)?.json).toEqual({
      applicant_id: ids.applicant,
      report_names: ['document', 'watchlist_standard'],
      consider: ['watchlist_standard'],
      sub_result: 'suspected',
    })
    const live = createOnfido({ ...testSettings, apiToken: 'api_live.token', fetch: fake.fetch })
    const refused = await live.checks
      .create({ applicantId: ids.applicant, reportNames: ['document'], consider: ['document'] })
      .catch((error: unknown) => error)
    expect(isKycError(refused) && refused.code).toBe('invalid_request')
  })
})

describe('parseWebhook', () => {
  it('maps workflow_run.completed from the signed run and reads the reports back', async () => {
    const { fake, adapter } = setup()
    const events = await adapter.parseWebhook(signed('webhook-workflow-run-completed.json'))
    expect(fake.lines()).toEqual(['GET checks', 'GET reports'])
    expect(events).toHaveLength(1)
    const [event] = events
    expect(KycEventSchema.parse(event)).toBeDefined()
    expect(event).toMatchObject({
      id: `onfido:workflow_run.completed:${ids.workflowRun}:approved:2026-01-01T00:05:00Z`,
      type: 'verification.completed',
      occurredAt: '2026-01-01T00:05:00.000Z',
      verification: { id: ids.workflowRun, status: 'completed', decision: { outcome: 'approved' } },
      raw: { type: 'workflow_run.completed', resourceType: 'workflow_run', status: 'approved' },
    })
    expect(event?.verification?.checks.length).toBeGreaterThan(0)
    expect(JSON.stringify(events)).not.toMatch(new RegExp(fixturePersonalData.join('|')))
  })

  it('reads the run back when a workflow_run event carries no resource', async () => {
    const { fake, adapter } = setup({
      run: 'workflow-run-declined.json',
      reports: 'reports-expired-document.json',
    })
    const body = JSON.stringify({
      payload: {
        resource_type: 'workflow_run',
        action: 'workflow_run.completed',
        object: { id: ids.workflowRun, status: 'declined', completed_at_iso8601: '2026-01-01T00:05:00Z' },
      },
    })
    const headers = new Headers({
      'x-sha2-signature': computeHmacSha256(testSettings.webhookTokens[0], body),
    })
    const [event] = await adapter.parseWebhook({ rawBody: body, headers })
    expect(fake.lines()[0]).toBe(`GET workflow_runs/${ids.workflowRun}`)
    expect(event?.verification?.decision).toMatchObject({
      outcome: 'declined',
      reasons: [{ code: 'document_expired' }],
    })
  })

  it('accepts the raw body as bytes', async () => {
    const { adapter } = setup()
    const { rawBody, headers } = signed('webhook-workflow-run-completed.json')
    const events = await adapter.parseWebhook({ rawBody: new TextEncoder().encode(rawBody), headers })
    expect(events.map((event) => event.type)).toEqual(['verification.completed'])
  })

  it('gives one delivery the same id every time, so the pipeline drops redeliveries', async () => {
    const { adapter } = setup()
    const first = await adapter.parseWebhook(signed('webhook-workflow-run-completed.json'))
    const again = await adapter.parseWebhook(signed('webhook-workflow-run-completed.json'))
    expect(again[0]?.id).toBe(first[0]?.id)
  })

  it('maps check.completed of the API channel by reading the check and its applicant', async () => {
    const { fake, adapter } = setup()
    const [event] = await adapter.parseWebhook(signed('webhook-check-completed.json'))
    expect(fake.lines()[0]).toBe(`GET checks/${ids.check}`)
    expect(event).toMatchObject({
      type: 'verification.completed',
      verification: { id: ids.applicant, reference: apiReference, decision: { outcome: 'approved' } },
    })
  })

  it('maps workflow_task.started to verification.started while the run awaits input', async () => {
    const { adapter } = setup({ run: 'workflow-run-awaiting-input.json' })
    const [event] = await adapter.parseWebhook(signed('webhook-workflow-task-started.json'))
    expect(event).toMatchObject({ type: 'verification.started', verification: { status: 'in_progress' } })
  })

  it('accepts any configured token (rotation) and rejects forged, tampered and unsigned deliveries', async () => {
    const fake = createFakeOnfido()
    const adapter = createOnfido({
      ...testSettings,
      webhookTokens: ['old-token', 'new-token'],
      fetch: fake.fetch,
    })
    await expect(
      adapter.parseWebhook(signed('webhook-workflow-run-completed.json', 'new-token')),
    ).resolves.toHaveLength(1)
    const genuine = signed('webhook-workflow-run-completed.json', 'old-token')
    const forgeries = [
      { ...genuine, headers: new Headers({ 'x-sha2-signature': '0'.repeat(64) }) },
      { ...genuine, rawBody: genuine.rawBody.replace('approved', 'declined') },
      { ...genuine, headers: new Headers() },
      { ...genuine, headers: new Headers({ 'x-sha2-signature': 'a'.repeat(100_000) }) },
      signed('webhook-workflow-run-completed.json', 'unknown-token'),
    ]
    for (const forged of forgeries) {
      const error = await adapter.parseWebhook(forged).catch((thrown: unknown) => thrown)
      expect(isKycError(error) && error.code).toBe('webhook_verification')
      expect(JSON.stringify(error)).not.toContain('old-token')
    }
  })

  it('ignores envelopes it does not model and survives unknown fields and values', async () => {
    const { adapter } = setup()
    const body = JSON.stringify({
      payload: { resource_type: 'audit_log', action: 'audit_log.created', object: { id: 'x', brand_new: 1 } },
    })
    const headers = new Headers({
      'x-sha2-signature': computeHmacSha256(testSettings.webhookTokens[0], body),
    })
    await expect(adapter.parseWebhook({ rawBody: body, headers })).resolves.toEqual([])
  })
})

describe('errors', () => {
  it('maps Onfido error envelopes to KycErrors without the vendor body, the token or personal data', async () => {
    const { fake, adapter, logs } = setup()
    fake.override((request) =>
      request.path === 'applicants'
        ? new Response(fixtureText('error-validation.json'), {
            status: 422,
            headers: { 'content-type': 'application/json' },
          })
        : undefined,
    )
    const error = await adapter
      .createVerification({ subjectReference: 'user_123', prefill })
      .catch((e: unknown) => e)
    expect(isKycError(error) && error.code).toBe('invalid_request')
    expect(error).toMatchObject({ status: 422, issues: [{ path: ['first_name'] }] })
    expect((error as Error).message).toContain('(validation_error)')
    const everything = JSON.stringify({ error, message: (error as Error).message, logs })
    expect(everything).not.toMatch(new RegExp(fixturePersonalData.join('|')))
    expect(everything).not.toContain('secret-token-value')
  })

  it('deletes the applicant when the workflow run cannot be created, so no orphan holds the names', async () => {
    const { fake, adapter } = setup()
    fake.override((request) =>
      request.method === 'POST' && request.path === 'workflow_runs'
        ? new Response('oops', { status: 500 })
        : undefined,
    )
    const error = await adapter
      .createVerification({ subjectReference: 'user_123', prefill })
      .catch((e: unknown) => e)
    expect(isKycError(error) && error.code).toBe('provider_unavailable')
    expect(fake.lines()).toEqual([
      'POST applicants',
      'POST workflow_runs',
      `DELETE applicants/${ids.applicant}`,
    ])
  })

  it('never repeats a POST after a 5xx (Onfido has no idempotency keys), so no second applicant', async () => {
    const { fake, adapter } = setup()
    fake.override((request) =>
      request.method === 'POST' ? new Response('oops', { status: 503 }) : undefined,
    )
    const error = await adapter
      .createVerification({ subjectReference: 'user_123', prefill })
      .catch((e: unknown) => e)
    expect(isKycError(error) && error.code).toBe('provider_unavailable')
    expect(fake.lines()).toEqual(['POST applicants'])
  })

  it('retries reads on 5xx', async () => {
    const { fake, adapter } = setup()
    let failures = 1
    fake.override(() => (failures-- > 0 ? new Response('oops', { status: 502 }) : undefined))
    await expect(adapter.getVerification({ reference: hostedReference })).resolves.toMatchObject({
      status: 'completed',
    })
    // The run and the checks are read at once, so the retry of the failed read need not come next.
    const [failed, ...rest] = fake.lines()
    expect(rest).toContain(failed)
    expect(fake.lines()).toHaveLength(4)
  })
})
