import { createMemoryStore, createWebhookPipeline, type ProcessedWebhookEvent } from '@openkyc/core'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { scenarioById } from '@openkyc/testkit/catalogue'
import { describe, expect, it } from 'vitest'
import { createPersona } from '../src/index.js'
import { conformanceSettings, conformanceWebhookSecret } from './conformance-support.js'

describe('Persona deliveries through the transactional pipeline', () => {
  it('a decline reported as inquiry.failed then inquiry.declined is one change for the application', async () => {
    const simulator = createPersonaSimulator({ webhook: { secret: conformanceWebhookSecret } })
    const adapter = createPersona({
      ...conformanceSettings,
      fetch: simulator.fetch,
      now: () => simulator.clock.now(),
    })
    const scenario = scenarioById('face_mismatch')
    const { verification } = await adapter.createVerification({ subjectReference: 'user_1' })
    await simulator.persona.resolve(String(verification.reference.inquiryId), scenario.id, {
      applicant: scenario.applicant,
    })
    await simulator.persona.webhooksIdle()

    const store = createMemoryStore()
    const pipeline = createWebhookPipeline({ adapter, store })
    const seen: ProcessedWebhookEvent[] = []
    for (const delivery of simulator.persona.webhooks.captured()) {
      await pipeline.handle(
        { rawBody: delivery.rawBody, headers: delivery.headers },
        {
          onEvent(processed) {
            seen.push(processed)
          },
        },
      )
    }
    const vendorEvents = seen.map((processed) => processed.event.raw.type)
    expect(vendorEvents).toEqual(expect.arrayContaining(['inquiry.failed', 'inquiry.declined']))
    const decisions = seen.filter(
      (processed) => processed.changed && processed.verification?.status === 'completed',
    )
    expect(decisions).toHaveLength(1)
    expect(decisions[0]).toMatchObject({
      event: { raw: { type: 'inquiry.failed' } },
      changes: expect.arrayContaining(['status', 'outcome']),
      verification: { decision: { outcome: 'declined' } },
    })
    const declined = seen.find((processed) => processed.event.raw.type === 'inquiry.declined')
    expect(declined).toMatchObject({
      changed: false,
      changes: [],
      previous: { status: 'completed', decision: { outcome: 'declined' } },
    })
  })
})
