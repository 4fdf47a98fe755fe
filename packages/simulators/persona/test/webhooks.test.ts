import { createHmac } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { validatePersonaWebhookBody } from '../src/openapi/index.js'
import { personaRetryScheduleSeconds } from '../src/webhooks.js'
import { type Json, startPersona, type TestPersona, webhookSecret } from './persona-server.js'

let persona: TestPersona | undefined
const closers: Array<() => Promise<void>> = []

afterEach(async () => {
  await persona?.close()
  persona = undefined
  for (const close of closers.splice(0)) await close()
})

/** Verifies a Persona-Signature header the way a receiver would (any matching v1 accepts). */
function signatureMatches(header: string, rawBody: string, secret: string): boolean {
  return header.split(' ').some((pair) => {
    const parts = Object.fromEntries(pair.split(',').map((part) => part.split('=', 2) as [string, string]))
    const expected = createHmac('sha256', secret).update(`${parts.t}.${rawBody}`).digest('hex')
    return parts.v1 === expected
  })
}

async function startReceiver(answer: () => number) {
  const received: Array<{ headers: IncomingMessage['headers']; body: string }> = []
  const server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => {
      body += chunk
    })
    request.on('end', () => {
      received.push({ headers: request.headers, body })
      response.writeHead(answer()).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(() => new Promise((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, received }
}

describe('webhook delivery', () => {
  it('posts signed, schema-valid event documents to a real receiver', async () => {
    const receiver = await startReceiver(() => 200)
    persona = await startPersona({ webhook: { url: receiver.url } })
    const id = await persona.createInquiry()
    await persona.simulator.persona.resolve(id, 'clean_approve')
    const names = receiver.received.map((delivery) => JSON.parse(delivery.body).data.attributes.name)
    expect(names.filter((name: string) => name.startsWith('inquiry.'))).toEqual([
      'inquiry.created',
      'inquiry.started',
      'inquiry.completed',
      'inquiry.approved',
    ])
    for (const delivery of receiver.received) {
      expect(delivery.headers['content-type']).toBe('application/json; charset=utf-8')
      expect(
        signatureMatches(String(delivery.headers['persona-signature']), delivery.body, webhookSecret),
      ).toBe(true)
      expect(delivery.headers['persona-webhook-attempts-made']).toBe('1')
      expect(delivery.headers['persona-webhook-attempts-left']).toBe('7')
      expect(validatePersonaWebhookBody({ body: JSON.parse(delivery.body) }).errors).toEqual([])
    }
    const approved = JSON.parse(receiver.received.at(-1)!.body)
    expect(approved.data.attributes.payload.data).toMatchObject({
      type: 'inquiry',
      id,
      attributes: { status: 'approved' },
    })
    expect(String(receiver.received.at(-1)!.headers['persona-signature'])).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/)
  })

  it('renders payloads with the webhook version and inflection', async () => {
    persona = await startPersona({ webhook: { apiVersion: '2025-10-27', keyInflection: 'camel' } })
    const id = await persona.createInquiry({ fields: { 'name-first': 'Ada' } })
    const [delivery] = persona.simulator.persona.webhooks.captured(id)
    const body = JSON.parse(delivery!.rawBody)
    expect(body.data.attributes.payload.data.attributes.createdAt).toBe('2030-01-01T00:00:00.000Z')
    expect(body.data.attributes.payload.data.attributes.fields['name-first'].value).toBe('Ada')
    expect(body.data.attributes.payload.data.attributes.nameFirst).toBeUndefined()
  })

  it('signs with both secrets during rotation, newest first, and drops the old one when it expires', async () => {
    persona = await startPersona()
    const newSecret = persona.simulator.persona.rotateWebhookSecret({
      secret: 'wbhsec_new',
      expiresInSeconds: 60,
    })
    expect(newSecret).toBe('wbhsec_new')
    const id = await persona.createInquiry()
    const [during] = persona.simulator.persona.webhooks.captured(id)
    const header = during!.headers.get('persona-signature')!
    const pairs = header.split(' ')
    expect(pairs).toHaveLength(2)
    expect(signatureMatches(pairs[0]!, during!.rawBody, 'wbhsec_new')).toBe(true)
    expect(signatureMatches(pairs[1]!, during!.rawBody, webhookSecret)).toBe(true)
    await persona.clock.advance(61_000)
    await persona.simulator.persona.startInquiry(id)
    const after = persona.simulator.persona.webhooks.captured(id).at(-1)!
    expect(after.headers.get('persona-signature')!.split(' ')).toHaveLength(1)
    expect(signatureMatches(after.headers.get('persona-signature')!, after.rawBody, webhookSecret)).toBe(
      false,
    )
  })

  it('retries on Persona’s schedule with attempt headers until the receiver succeeds', async () => {
    let failures = 3
    persona = await startPersona({ webhook: { enabledEvents: ['inquiry.created'] } })
    persona.simulator.persona.setWebhookTarget(
      async () => new Response(null, { status: failures-- > 0 ? 500 : 204 }),
    )
    await persona.createInquiry()
    await persona.simulator.persona.webhooksIdle()
    const schedule = personaRetryScheduleSeconds.map((seconds) => seconds * 1000)
    for (const delay of schedule.slice(0, 3)) await persona.clock.advance(delay)
    const attempts = persona.simulator.persona.webhooks.deliverer.attempts
    expect(attempts.map((attempt) => attempt.status)).toEqual([500, 500, 500, 204])
    expect(attempts.map((attempt) => attempt.headers['Persona-Webhook-Attempts-Made'])).toEqual([
      '1',
      '2',
      '3',
      '4',
    ])
    expect(attempts.map((attempt) => attempt.headers['Persona-Webhook-Attempts-Left'])).toEqual([
      '7',
      '6',
      '5',
      '4',
    ])
    expect(attempts.map((attempt) => attempt.at)).toEqual([
      '2030-01-01T00:00:00.000Z',
      '2030-01-01T00:00:03.000Z',
      '2030-01-01T00:01:07.000Z',
      '2030-01-01T00:13:16.000Z',
    ])
    const firstAttempt = attempts.map((attempt) => attempt.headers['Persona-Webhook-First-Attempted-At'])
    expect(new Set(firstAttempt)).toEqual(new Set([String(Date.parse('2030-01-01T00:00:00.000Z') / 1000)]))
    expect(
      signatureMatches(attempts[3]!.headers['Persona-Signature']!, attempts[3]!.body, webhookSecret),
    ).toBe(true)
  })

  it('gives up after 8 attempts; the schedule scales for demos', async () => {
    persona = await startPersona({ webhook: { enabledEvents: ['inquiry.created'], timeScale: 0.001 } })
    persona.simulator.persona.setWebhookTarget(async () => new Response(null, { status: 503 }))
    await persona.createInquiry()
    await persona.simulator.persona.webhooksIdle()
    await persona.clock.advance(200_000)
    const attempts = persona.simulator.persona.webhooks.deliverer.attempts
    expect(attempts).toHaveLength(8)
    expect(attempts.at(-1)!.headers['Persona-Webhook-Attempts-Left']).toBe('0')
  })

  it('duplicates and reorders deliveries on request', async () => {
    persona = await startPersona({ webhook: { mode: { duplicate: 1 } } })
    const id = await persona.createInquiry()
    await persona.simulator.persona.webhooksIdle()
    const messages = persona.simulator.persona.webhooks.deliverer.messages.filter(
      (message) => message.subject === id,
    )
    expect(messages).toHaveLength(2)
    expect(messages[1]!.rawBody).toBe(messages[0]!.rawBody)
    expect(persona.simulator.persona.webhooks.captured(id)).toHaveLength(1)
    persona.simulator.persona.setDeliveryMode({ reorder: true })
    await persona.simulator.persona.resolve(id, 'clean_approve')
    const held = persona.simulator.persona.webhooks.deliverer.held.map((message) => message.id)
    expect(held.length).toBeGreaterThan(3)
    await persona.simulator.persona.flushWebhooks()
    const sentOrder = persona.simulator.persona.webhooks.deliverer.attempts
      .slice(-held.length)
      .map((attempt) => attempt.id)
    expect(new Set(sentOrder)).toEqual(new Set(held))
    expect(sentOrder).not.toEqual(held)
  })
})

describe('conformance driver webhook forgeries', () => {
  it('forges every kind so that a signature check fails', async () => {
    persona = await startPersona()
    const driver = persona.simulator.persona.conformanceDriver()
    expect(driver.webhookSecurity).toBe('timestamped-signature')
    const id = await persona.createInquiry()
    const [genuine] = await driver.webhookDeliveries({ reference: { inquiryId: id } } as never)
    expect(
      signatureMatches(genuine!.headers.get('persona-signature')!, genuine!.rawBody, webhookSecret),
    ).toBe(true)
    for (const kind of ['bad-signature', 'tampered-body', 'unknown-secret'] as const) {
      const forged = driver.forgeWebhook(kind, genuine!)
      expect(signatureMatches(forged.headers.get('persona-signature')!, forged.rawBody, webhookSecret)).toBe(
        false,
      )
    }
    const stale = driver.forgeWebhook('stale-timestamp', genuine!)
    const header = stale.headers.get('persona-signature')!
    expect(signatureMatches(header, stale.rawBody, webhookSecret)).toBe(true)
    const timestamp = Number(/t=(\d+)/.exec(header)![1])
    expect(Date.parse('2030-01-01T00:00:00.000Z') / 1000 - timestamp).toBeGreaterThan(300)
    const tampered = driver.forgeWebhook('tampered-body', genuine!)
    expect(tampered.rawBody).not.toBe(genuine!.rawBody)
    expect((JSON.parse(tampered.rawBody) as Json).data.id).toBe(
      (JSON.parse(genuine!.rawBody) as Json).data.id,
    )
  })
})
