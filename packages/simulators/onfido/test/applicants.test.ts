import { describe, expect, it } from 'vitest'
import { onfidoSimulatorApiToken } from '../src/index.js'
import { startOnfido } from './onfido-test-server.js'

describe('auth, hosts and errors', () => {
  it('answers GET /ping with 200 text', async () => {
    const onfido = await startOnfido()
    const reply = await onfido.call('GET', '/v3.6/ping')
    expect(reply.status).toBe(200)
    expect(reply.headers.get('content-type')).toMatch(/^text\/plain/)
  })

  it('refuses a missing token, a Bearer API token and an unknown prefix with 401 and the error envelope', async () => {
    const onfido = await startOnfido()
    for (const authorization of [
      undefined,
      `Bearer ${onfidoSimulatorApiToken}`,
      'Token token=not_an_onfido_token',
    ]) {
      const reply = await onfido.call('GET', '/v3.6/applicants', {
        token: null,
        ...(authorization === undefined ? {} : { headers: { authorization } }),
      })
      expect(reply.status).toBe(401)
      expect(reply.body.error).toMatchObject({ type: 'authorization_error', fields: {} })
    }
  })

  it('accepts only the configured tokens when apiTokens is set', async () => {
    const onfido = await startOnfido({ apiTokens: ['api_sandbox.only-this-one'] })
    expect((await onfido.call('GET', '/v3.6/applicants')).status).toBe(401)
    expect(
      (await onfido.call('GET', '/v3.6/applicants', { token: 'api_sandbox.only-this-one' })).status,
    ).toBe(200)
  })

  it('pins data to the region host it was created on, and the token decides sandbox or live', async () => {
    const onfido = await startOnfido()
    const { simulator } = onfido
    const headers = {
      authorization: `Token token=${onfidoSimulatorApiToken}`,
      'content-type': 'application/json',
    }
    const created = await simulator.fetch('https://api.us.onfido.com/v3.6/applicants', {
      method: 'POST',
      headers,
      body: JSON.stringify({ first_name: 'Ada', last_name: 'Testperson-Approve' }),
    })
    const applicant = (await created.json()) as { id: string; sandbox: boolean; href: string }
    expect(applicant.sandbox).toBe(true)
    expect(applicant.href).toBe(`/v3.6/applicants/${applicant.id}`)
    const fromUs = await simulator.fetch(`https://api.us.onfido.com/v3.6/applicants/${applicant.id}`, {
      headers,
    })
    expect(fromUs.status).toBe(200)
    const fromEu = await simulator.fetch(`https://api.eu.onfido.com/v3.6/applicants/${applicant.id}`, {
      headers,
    })
    expect(fromEu.status).toBe(404)
    const live = await simulator.fetch(`https://api.us.onfido.com/v3.6/applicants/${applicant.id}`, {
      headers: { authorization: 'Token token=api_live.other' },
    })
    expect(live.status).toBe(404)
    // The loopback listener speaks for the default region (eu): the US applicant is not there.
    expect((await onfido.call('GET', `/v3.6/applicants/${applicant.id}`)).status).toBe(404)
  })

  it('answers unknown ids and malformed ids with 404 resource_not_found', async () => {
    const onfido = await startOnfido()
    const unknown = await onfido.call('GET', '/v3.6/applicants/6c0a4b1e-6a0f-4f43-9d5e-2f7b8c9d0e1f')
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.type).toBe('resource_not_found')
    expect(unknown.body.error.message).toMatch(/Applicant with id=/)
    expect((await onfido.call('GET', '/v3.6/applicants/not-a-uuid')).status).toBe(404)
  })
})

describe('applicants', () => {
  it('creates an applicant with the documented shape: relative href, null fields present, second-precision time', async () => {
    const onfido = await startOnfido()
    const reply = await onfido.call('POST', '/v3.6/applicants', {
      body: {
        first_name: 'Quillonda',
        last_name: 'Testperson-Approve',
        dob: '1986-03-14',
        address: { postcode: 'SW4 6EH', country: 'GBR' },
        consents: [{ name: 'privacy_notices_read', granted: true }],
      },
    })
    expect(reply.status).toBe(201)
    expect(reply.body).toMatchObject({
      first_name: 'Quillonda',
      email: null,
      phone_number: null,
      delete_at: null,
      id_numbers: [],
      created_at: '2030-01-01T00:00:00Z',
      address: { postcode: 'SW4 6EH', country: 'GBR' },
    })
    const consents = await onfido.call('GET', `/v3.6/applicants/${reply.body.id}/consents`)
    expect(consents.body).toEqual([
      { name: 'privacy_notices_read', granted: true, granted_at: '2030-01-01T00:00:00Z' },
    ])
  })

  it('rejects a missing last name and forbidden characters with 422 validation_error naming the fields only', async () => {
    const onfido = await startOnfido()
    const missing = await onfido.call('POST', '/v3.6/applicants', { body: { first_name: 'Quillonda' } })
    expect(missing.status).toBe(422)
    expect(missing.body.error.type).toBe('validation_error')
    expect(Object.keys(missing.body.error.fields)).toEqual(['last_name'])
    const forbidden = await onfido.call('POST', '/v3.6/applicants', {
      body: { first_name: 'Quill<onda>', last_name: 'Testperson;Approve' },
    })
    expect(forbidden.status).toBe(422)
    expect(Object.keys(forbidden.body.error.fields).sort()).toEqual(['first_name', 'last_name'])
    expect(forbidden.text).not.toContain('Quill<onda>')
    const wrongType = await onfido.call('POST', '/v3.6/applicants', {
      body: 'first_name=Quillonda',
    })
    expect(wrongType.status).toBe(422)
  })

  it('updates partially: arrays and the address replace what was there', async () => {
    const onfido = await startOnfido()
    const id = await onfido.createApplicant('Testperson-Approve', {
      id_numbers: [{ type: 'passport', value: 'ZZ4100001' }],
      address: { postcode: 'SW4 6EH', country: 'GBR', town: 'London' },
    })
    const reply = await onfido.call('PUT', `/v3.6/applicants/${id}`, {
      body: {
        email: 'quillonda@example.test',
        address: { postcode: '10115', country: 'DEU' },
        id_numbers: [],
      },
    })
    expect(reply.status).toBe(200)
    expect(reply.body).toMatchObject({
      first_name: 'Quillonda',
      email: 'quillonda@example.test',
      id_numbers: [],
    })
    expect(reply.body.address).toEqual({ postcode: '10115', country: 'DEU' })
  })

  it('lists newest first with Link and X-Total-Count paging', async () => {
    const onfido = await startOnfido()
    const ids: string[] = []
    for (let index = 0; index < 5; index += 1) {
      ids.push(await onfido.createApplicant())
      await onfido.clock.advance(1000)
    }
    const first = await onfido.call('GET', '/v3.6/applicants?per_page=2')
    expect(first.headers.get('x-total-count')).toBe('5')
    expect(first.body.applicants.map((applicant: { id: string }) => applicant.id)).toEqual([ids[4], ids[3]])
    expect(first.headers.get('link')).toMatch(/page=2>; rel="next", <[^>]+page=3>; rel="last"/)
    const last = await onfido.call('GET', '/v3.6/applicants?per_page=2&page=3')
    expect(last.body.applicants.map((applicant: { id: string }) => applicant.id)).toEqual([ids[0]])
    expect(last.headers.get('link')).toMatch(/rel="first".*rel="prev"/)
  })
})
