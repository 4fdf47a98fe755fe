import { describe, expect, it } from 'vitest'
import {
  listOnfidoOperations,
  matchOnfidoOperation,
  onfidoSpecEnum,
  onfidoSpecErrata,
  validateOnfidoResponse,
  validateOnfidoWebhookBody,
} from '../src/openapi/index.js'

const uuid = '6c0a4b1e-6a0f-4f43-9d5e-2f7b8c9d0e1f'
const json = 'application/json'

describe('the official spec as an oracle', () => {
  it('matches concrete paths to spec operations, literal segments first', () => {
    expect(
      matchOnfidoOperation('POST', `https://api.eu.onfido.com/v3.6/applicants/${uuid}/restore?x=1`),
    ).toEqual({
      operation: 'POST /applicants/{applicant_id}/restore',
      parameters: { applicant_id: uuid },
    })
    expect(matchOnfidoOperation('POST', '/v3.6/webhooks/resend')?.operation).toBe('POST /webhooks/resend')
    expect(listOnfidoOperations()).toContain('GET /workflow_runs')
  })

  it('rejects what the spec rejects: wrong enum, undocumented status, wrong media type, body on 204', () => {
    const run = { id: uuid, applicant_id: uuid, workflow_id: uuid, status: 'finished' }
    const wrongEnum = validateOnfidoResponse({
      method: 'GET',
      path: `/v3.6/workflow_runs/${uuid}`,
      status: 200,
      contentType: json,
      body: run,
    })
    expect(wrongEnum.valid).toBe(false)
    expect(wrongEnum.errors[0]!.pointer).toBe('/status')
    expect(JSON.stringify(wrongEnum.errors)).not.toContain('finished')
    expect(
      validateOnfidoResponse({
        method: 'POST',
        path: '/v3.6/applicants',
        status: 200,
        contentType: json,
        body: {},
      }).valid,
    ).toBe(false)
    expect(
      validateOnfidoResponse({ method: 'GET', path: '/v3.6/ping', status: 200, contentType: json, body: {} })
        .valid,
    ).toBe(false)
    expect(
      validateOnfidoResponse({
        method: 'DELETE',
        path: `/v3.6/applicants/${uuid}`,
        status: 204,
        contentType: '',
        body: 'x',
      }).valid,
    ).toBe(false)
    expect(
      validateOnfidoResponse({
        method: 'GET',
        path: '/v3.6/unknown',
        status: 200,
        contentType: json,
        body: {},
      }).valid,
    ).toBe(false)
  })

  it('checks a report against exactly the schema its name selects (discriminator)', () => {
    const base = { id: uuid, status: 'complete', result: 'clear', sub_result: null, check_id: uuid }
    const good = validateOnfidoResponse({
      method: 'GET',
      path: `/v3.6/reports/${uuid}`,
      status: 200,
      contentType: json,
      body: { ...base, name: 'facial_similarity_photo', properties: { score: 0.5 } },
    })
    expect(good.errors).toEqual([])
    const badScore = validateOnfidoResponse({
      method: 'GET',
      path: `/v3.6/reports/${uuid}`,
      status: 200,
      contentType: json,
      body: { ...base, name: 'facial_similarity_photo', properties: { score: 'high' } },
    })
    expect(badScore.valid).toBe(false)
    const unknownName = validateOnfidoResponse({
      method: 'GET',
      path: `/v3.6/reports/${uuid}`,
      status: 200,
      contentType: json,
      body: { ...base, name: 'horoscope' },
    })
    expect(unknownName.valid).toBe(false)
  })

  it('lists each erratum with its source, and corrects the webhook envelope’s required fields (§8.3)', () => {
    expect(onfidoSpecErrata.map((erratum) => erratum.schema)).toContain('webhook_event_payload')
    for (const erratum of onfidoSpecErrata) expect(erratum.source.length).toBeGreaterThan(10)
    const envelope = {
      payload: {
        resource_type: 'check',
        action: 'check.completed',
        object: {
          id: uuid,
          status: 'complete',
          completed_at_iso8601: '2030-01-01T00:00:00Z',
          href: 'https://x',
        },
      },
    }
    expect(validateOnfidoWebhookBody(envelope).errors).toEqual([])
    expect(
      validateOnfidoWebhookBody({ payload: { resource_type: 'check', object: envelope.payload.object } })
        .valid,
    ).toBe(false)
  })

  it('exposes the spec’s enums for input validation', () => {
    expect(onfidoSpecEnum('document_types')).toContain('national_identity_card')
    expect(onfidoSpecEnum('country_codes')).toContain('DEU')
    expect(() => onfidoSpecEnum('applicant')).toThrow()
  })
})
