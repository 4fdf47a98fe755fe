import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createWebhookPipeline, toWebhookResponse } from '@openkyc/core'
import { readNodeRequest } from '@openkyc/core/node'
import { createSimulatorClock } from '@openkyc/testkit/harness'
import { afterEach, expect, it } from 'vitest'
import { createAcme, createAcmeSimulator } from '../src/index.js'

const credentials = { apiKey: 'acme_http_key', webhookSecret: 'whsec_http' }
const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

it('runs end to end on loopback: API, hosted flow, signed webhooks into the pipeline', async () => {
  const adapter = createAcme({ ...credentials, baseUrl: 'http://127.0.0.1/' })
  const pipeline = createWebhookPipeline({ adapter })
  const received: string[] = []
  const receiver: Server = createServer(async (request, response) => {
    let answer: Response
    try {
      const outcome = await pipeline.handle(await readNodeRequest(request), {
        // The application's work, inside each event's store transaction.
        onEvent: ({ event }) => {
          received.push(event.type)
        },
      })
      answer = toWebhookResponse(outcome)
    } catch (error) {
      answer = toWebhookResponse(error)
    }
    response.statusCode = answer.status
    response.end()
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  closers.push(() => new Promise((resolve) => receiver.close(() => resolve())))

  const simulator = createAcmeSimulator({
    ...credentials,
    clock: createSimulatorClock({ mode: 'real' }),
    webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/acme`,
  })
  const server = await simulator.listen()
  closers.unshift(server.close)
  const acme = createAcme({ ...credentials, baseUrl: `${server.url}/` })

  const { verification } = await acme.createVerification({ subjectReference: 'user_1' })
  const hostedUrl = verification.session?.url
  expect(hostedUrl).toBe(`${server.url}/flow/${verification.id}`)
  expect((await fetch(hostedUrl!)).headers.get('content-type')).toMatch(/text\/html/)

  const form = new URLSearchParams({ lastName: 'Testperson-Expired' })
  expect((await fetch(hostedUrl!, { method: 'POST', body: form })).status).toBe(200)

  const read = await acme.getVerification({ reference: verification.reference })
  expect(read.decision).toMatchObject({ outcome: 'declined', reasons: [{ code: 'document_expired' }] })
  await simulator.deliverer.idle()
  expect(received).toEqual(['verification.started', 'verification.submitted', 'verification.completed'])
  expect(simulator.deliverer.attempts.every((attempt) => attempt.status === 200)).toBe(true)
})
