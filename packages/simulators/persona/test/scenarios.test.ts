import { scenarios } from '@openkyc/testkit/catalogue'
import { afterEach, describe, expect, it } from 'vitest'
import { type Json, sandboxKey, startPersona, type TestPersona, violationSummary } from './persona-server.js'

let persona: TestPersona | undefined

afterEach(async () => {
  if (persona === undefined) return
  expect(violationSummary(persona)).toEqual([])
  await persona.close()
  persona = undefined
})

const expectedPersonaStatus: Record<string, string> = {
  approved: 'approved',
  declined: 'declined',
  review: 'needs_review',
}

describe('catalogue scenarios through the conformance driver', () => {
  for (const scenario of scenarios) {
    it(`${scenario.id}: reaches the expected inquiry and verifications`, async () => {
      persona = await startPersona()
      const driver = persona.simulator.persona.conformanceDriver()
      const id = await persona.createInquiry({ fields: { 'name-last': scenario.applicant.lastName } })
      const reference = { inquiryId: id } as never
      if (scenario.expected.intermediate !== undefined) {
        await driver.runScenario({ reference, scenario, stage: 'intermediate' })
        const intermediate = await persona.call('GET', `/inquiries/${id}`)
        expect(intermediate.body.data.attributes.status).toBe(
          expectedPersonaStatus[scenario.expected.intermediate.outcome!],
        )
      }
      await driver.runScenario({ reference, scenario })
      const reply = await persona.call('GET', `/inquiries/${id}`)
      const inquiry = reply.body.data
      const outcome = scenario.expected.outcome
      expect(inquiry.attributes.status).toBe(
        outcome === undefined ? 'expired' : expectedPersonaStatus[outcome],
      )
      const verifications = (reply.body.included ?? []).filter((item: Json) =>
        item.type.startsWith('verification/'),
      )
      if (outcome === undefined) {
        expect(verifications).toEqual([])
        return
      }
      expect(verifications.map((item: Json) => item.type).sort()).toEqual([
        'verification/database',
        'verification/government-id',
        'verification/selfie',
      ])
      const governmentId = verifications.find((item: Json) => item.type === 'verification/government-id')
      expect(governmentId.attributes['name-last']).toBe(scenario.applicant.lastName)
      expect(governmentId.attributes['document-number']).toBe(scenario.applicant.documentNumber)
      const failed = verifications.flatMap((item: Json) =>
        item.attributes.checks
          .filter((check: Json) => check.status === 'failed')
          .map((check: Json) => check.name),
      )
      if (scenario.id === 'clean_approve') expect(failed).toEqual([])
      else if (scenario.id !== 'watchlist_hit') expect(failed.length).toBeGreaterThan(0)
      if (scenario.id === 'watchlist_hit') {
        const reports = inquiry.relationships.reports.data
        expect(reports.map((item: Json) => item.type)).toEqual(['report/watchlist'])
      }
      const reviewer = inquiry.relationships.reviewer.data
      expect(reviewer.type).toBe(scenario.expected.decidedBy === 'manual' ? 'user' : 'workflow-run')
      const deliveries = await driver.webhookDeliveries({ reference })
      const names = deliveries.map((delivery) => JSON.parse(delivery.rawBody).data.attributes.name)
      expect(names).toContain(outcome === 'review' ? 'inquiry.marked-for-review' : `inquiry.${outcome}`)
    })
  }

  it('abandoned inquiries expire on the clock and emit inquiry.expired', async () => {
    persona = await startPersona()
    const driver = persona.simulator.persona.conformanceDriver()
    const scenario = scenarios.find((item) => item.id === 'applicant_abandons')!
    const id = await persona.createInquiry()
    await driver.runScenario({ reference: { inquiryId: id } as never, scenario })
    const names = (await driver.webhookDeliveries({ reference: { inquiryId: id } as never })).map(
      (delivery) => JSON.parse(delivery.rawBody).data.attributes.name,
    )
    expect(names).toEqual(['inquiry.created', 'inquiry.started', 'inquiry.expired'])
  })
})

describe('hosted flow', () => {
  it('a person opens the one-time link, picks the magic-input scenario and completes the inquiry', async () => {
    persona = await startPersona()
    const id = await persona.createInquiry({ fields: { 'name-last': 'Testperson-Tampered' } })
    const link = await persona.call('POST', `/inquiries/${id}/generate-one-time-link`)
    const page = await fetch(link.body.meta['one-time-link'])
    const html = await page.text()
    expect(page.headers.get('content-type')).toContain('text/html')
    expect(html).toContain('<option value="tampered_document" selected>')
    const token = /name="session-token" value="([^"]+)"/.exec(html)![1]!
    const submitted = await fetch(`${persona.baseUrl}/verify`, {
      method: 'POST',
      body: new URLSearchParams({ 'inquiry-id': id, 'session-token': token, scenario: 'tampered_document' }),
    })
    expect(submitted.status).toBe(200)
    expect(await submitted.text()).toContain('declined')
    const inquiry = await persona.call('GET', `/inquiries/${id}`)
    expect(inquiry.body.data.attributes.status).toBe('declined')
    const again = await fetch(`${persona.baseUrl}/verify`, {
      method: 'POST',
      body: new URLSearchParams({ 'inquiry-id': id, 'session-token': token, scenario: 'clean_approve' }),
    })
    expect(again.status).toBe(409)
  })

  it('a pending inquiry needs a valid session token; redirect-uri receives the result', async () => {
    persona = await startPersona()
    const id = await persona.createInquiry({ 'redirect-uri': 'https://app.example.test/done' })
    await persona.simulator.persona.startInquiry(id)
    expect((await fetch(`${persona.baseUrl}/verify?inquiry-id=${id}`)).status).toBe(403)
    const url = persona.simulator.persona.hostedUrl(id)
    const html = await (await fetch(url)).text()
    const token = /name="session-token" value="([^"]+)"/.exec(html)![1]!
    const submitted = await fetch(`${persona.baseUrl}/verify`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({
        'inquiry-id': id,
        'session-token': token,
        scenario: 'manual_review_then_approve',
      }),
    })
    expect(submitted.status).toBe(303)
    expect(submitted.headers.get('location')).toBe(
      `https://app.example.test/done?inquiry-id=${id}&status=needs_review`,
    )
  })
})

describe('fault injection', () => {
  it('fails, resets and garbles the next matching requests, then recovers', async () => {
    persona = await startPersona()
    const { simulator } = persona
    simulator.failNext({ status: 503, match: { method: 'GET', path: '/api/v1/inquiries' } })
    const failed = await fetch(`${persona.baseUrl}/api/v1/inquiries`, {
      headers: { Authorization: `Bearer ${sandboxKey}` },
    })
    expect(failed.status).toBe(503)
    expect(await failed.json()).toEqual({ errors: [{ title: 'Service unavailable' }] })
    simulator.failNext({ status: 429, retryAfterSeconds: 2 })
    const limited = await fetch(`${persona.baseUrl}/api/v1/inquiries`, {
      headers: { Authorization: `Bearer ${sandboxKey}` },
    })
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('2')
    simulator.resetNext()
    await expect(
      simulator.fetch(`${persona.baseUrl}/api/v1/inquiries`, {
        headers: { Authorization: `Bearer ${sandboxKey}` },
      }),
    ).rejects.toThrow('fetch failed')
    simulator.malformedNext()
    const garbled = await fetch(`${persona.baseUrl}/api/v1/inquiries`, {
      headers: { Authorization: `Bearer ${sandboxKey}` },
    })
    await expect(garbled.json()).rejects.toThrow()
    expect((await persona.call('GET', '/inquiries')).status).toBe(200)
    expect(simulator.requests.map((request) => request.status)).toEqual([503, 429, 'reset', 200, 200])
  })
})
