import { describe, expect, it } from 'vitest'
import { type Json, startOnfido } from './onfido-test-server.js'

describe('classic checks and reports', () => {
  it('creates a check in progress (result null), completes it, and emits check.started, report.completed × n, check.completed', async () => {
    const onfido = await startOnfido({ processingDelayMs: 2000 })
    const applicantId = await onfido.createApplicant()
    await onfido.uploadEvidence(applicantId)
    const created = await onfido.call('POST', '/v3.6/checks', {
      body: { applicant_id: applicantId, report_names: ['document', 'facial_similarity_photo'] },
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ status: 'in_progress', result: null, version: '3.6', sandbox: true })
    expect(created.body.report_ids).toHaveLength(2)
    const pending = await onfido.call('GET', `/v3.6/reports/${created.body.report_ids[0]}`)
    expect(pending.body).toMatchObject({ status: 'awaiting_data', result: null })
    await onfido.clock.advance(2000)
    const check = await onfido.call('GET', `/v3.6/checks/${created.body.id}`)
    expect(check.body).toMatchObject({ status: 'complete', result: 'clear' })
    await onfido.simulator.deliveriesIdle()
    const actions = onfido.simulator.deliveries.map((message) => JSON.parse(message.rawBody).payload.action)
    expect(actions).toEqual(['check.started', 'report.completed', 'report.completed', 'check.completed'])
    const completed = JSON.parse(onfido.simulator.deliveries.at(-1)!.rawBody)
    expect(completed.payload).toEqual({
      resource_type: 'check',
      action: 'check.completed',
      object: {
        id: created.body.id,
        status: 'complete',
        completed_at_iso8601: '2030-01-01T00:00:02Z',
        href: `${onfido.server.url}/v3.6/checks/${created.body.id}`,
      },
    })
  })

  it('honours the sandbox controls consider and sub_result', async () => {
    const onfido = await startOnfido()
    const applicantId = await onfido.createApplicant()
    await onfido.uploadEvidence(applicantId)
    const created = await onfido.call('POST', '/v3.6/checks', {
      body: {
        applicant_id: applicantId,
        report_names: ['document', 'watchlist_standard', 'identity_enhanced'],
        consider: ['watchlist_standard'],
        sub_result: 'suspected',
        asynchronous: false,
      },
    })
    expect(created.body).toMatchObject({ status: 'complete', result: 'consider' })
    const reports = await onfido.call('GET', `/v3.6/reports?check_id=${created.body.id}`)
    const byName = Object.fromEntries(reports.body.reports.map((report: Json) => [report.name, report]))
    expect(byName.document).toMatchObject({ result: 'consider', sub_result: 'suspected' })
    expect(byName.watchlist_standard).toMatchObject({ result: 'consider', sub_result: null })
    expect(byName.identity_enhanced).toMatchObject({ result: 'clear', status: 'complete' })
  })

  it('ignores the sandbox controls for live tokens', async () => {
    const onfido = await startOnfido()
    const token = 'api_live.openkyc-live-token'
    const applicant = await onfido.call('POST', '/v3.6/applicants', {
      token,
      body: { first_name: 'Quillonda', last_name: 'Testperson-Approve' },
    })
    expect(applicant.body.sandbox).toBe(false)
    const created = await onfido.call('POST', '/v3.6/checks', {
      token,
      body: {
        applicant_id: applicant.body.id,
        report_names: ['watchlist_standard'],
        consider: ['watchlist_standard'],
        asynchronous: false,
      },
    })
    expect(created.body).toMatchObject({ result: 'clear', sandbox: false })
  })

  it('needs an uploaded document for document reports and a live photo for facial similarity (422)', async () => {
    const onfido = await startOnfido()
    const applicantId = await onfido.createApplicant()
    const reply = await onfido.call('POST', '/v3.6/checks', {
      body: { applicant_id: applicantId, report_names: ['document', 'facial_similarity_photo'] },
    })
    expect(reply.status).toBe(422)
    expect(Object.keys(reply.body.error.fields).sort()).toEqual(['document_ids', 'report_names'])
    const unknownName = await onfido.call('POST', '/v3.6/checks', {
      body: { applicant_id: applicantId, report_names: ['horoscope'] },
    })
    expect(unknownName.status).toBe(422)
  })

  it('realises a catalogue scenario on a classic check from the magic last name', async () => {
    const onfido = await startOnfido()
    const applicantId = await onfido.createApplicant('Testperson-Mismatch')
    await onfido.uploadEvidence(applicantId)
    const created = await onfido.call('POST', '/v3.6/checks', {
      body: {
        applicant_id: applicantId,
        report_names: ['document', 'facial_similarity_photo'],
        asynchronous: false,
      },
    })
    expect(created.body.result).toBe('consider')
    const checks = await onfido.call('GET', `/v3.6/checks?applicant_id=${applicantId}`)
    expect(checks.body.checks.map((check: Json) => check.id)).toEqual([created.body.id])
    const reports = (await onfido.call('GET', `/v3.6/reports?check_id=${created.body.id}`)).body.reports
    const face = reports.find((report: Json) => report.name === 'facial_similarity_photo')
    expect(face.breakdown.face_comparison.breakdown.face_match).toEqual({
      result: 'consider',
      properties: { score: 0.12 },
    })
  })
})
