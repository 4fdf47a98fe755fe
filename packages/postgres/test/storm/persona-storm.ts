import { applyVerificationUpdate, type Verification, verificationProgressKey } from '@openkyc/core'
import { createPersona } from '@openkyc/persona'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { scenarios } from '@openkyc/testkit/catalogue'

/** Test values, not secrets. */
export const stormCredentials = {
  apiKey: 'persona_sandbox_openkyc_storm',
  templateId: 'itmpl_openkyc_storm',
  webhookSecret: 'wbhsec_openkyc_storm',
} as const

/** One signed delivery as Persona sends it. */
export type StormDelivery = { headers: Record<string, string>; rawBody: string }

/** What every verification must end as, and which event ids carry a verification. */
export type StormTruth = {
  /** provider+id → the progress key and status of the state every delivery order ends in. */
  finalStates: Map<string, { progress: string; status: string; outcome: string | undefined }>
  /** Ids of every event the adapter yields from the deliveries (each must have exactly one handler effect). */
  eventIds: Set<string>
}

/** A generated storm: distinct deliveries that each yield at least one event, the ground truth, and the adapter clock to verify them at. */
export type Storm = { deliveries: StormDelivery[]; truth: StormTruth; nowMs: number }

/**
 * Genuine signed Persona deliveries for `inquiries` inquiries run through the catalogue scenarios by
 * the Persona simulator, and the ground truth: every event parsed by the real adapter and folded with
 * `applyVerificationUpdate` (the forward-only rule is order-independent up to ties of equal progress).
 */
export async function createPersonaStorm(inquiries: number): Promise<Storm> {
  const simulator = createPersonaSimulator({
    rateLimit: { limit: 1_000_000_000 },
    inquiryCreationQuota: false,
    webhook: { secret: stormCredentials.webhookSecret, apiVersion: '2025-10-27' },
  })
  const adapter = createPersona({
    apiKey: stormCredentials.apiKey,
    templateId: stormCredentials.templateId,
    webhookSecrets: [stormCredentials.webhookSecret],
    baseUrl: 'https://persona.simulator.test/api/v1',
    env: {},
    fetch: simulator.fetch,
    now: () => simulator.clock.now(),
    rateLimit: false,
    handoff: 'hosted-url',
  })
  for (let index = 0; index < inquiries; index += 1) {
    const scenario = scenarios[index % scenarios.length]!
    const { verification } = await adapter.createVerification({
      subjectReference: `storm-${index}`,
      prefill: { firstName: scenario.applicant.firstName, lastName: scenario.applicant.lastName },
    })
    await simulator.persona.resolve(String(verification.reference.inquiryId), scenario.id, {
      applicant: scenario.applicant,
    })
  }
  await simulator.persona.webhooksIdle()
  const states = new Map<string, Verification>()
  const eventIds = new Set<string>()
  const deliveries: StormDelivery[] = []
  for (const captured of simulator.persona.webhooks.captured()) {
    const events = await adapter.parseWebhook({ headers: captured.headers, rawBody: captured.rawBody })
    // Deliveries that yield no KycEvent (document.*, account.*) never reach the store: leave them out.
    if (events.length === 0) continue
    deliveries.push({ headers: Object.fromEntries(captured.headers.entries()), rawBody: captured.rawBody })
    for (const event of events) {
      eventIds.add(event.id)
      if (event.verification === undefined) continue
      const key = `${event.provider}\u0000${event.verification.id}`
      states.set(key, applyVerificationUpdate(states.get(key), event.verification))
    }
  }
  const finalStates = new Map(
    [...states].map(([key, verification]) => [
      key,
      {
        progress: verificationProgressKey(verification),
        status: verification.status,
        outcome: verification.decision?.outcome,
      },
    ]),
  )
  return { deliveries, truth: { finalStates, eventIds }, nowMs: simulator.clock.now() }
}

/** Each delivery `copies` times, shuffled with a seeded generator (deterministic per seed). */
export function shuffledStorm<T>(deliveries: readonly T[], copies: number, seed: number): T[] {
  const storm = deliveries.flatMap((delivery) => Array.from({ length: copies }, () => delivery))
  let state = seed >>> 0
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let value = state
    value = Math.imul(value ^ (value >>> 15), value | 1)
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61)
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296
  }
  for (let index = storm.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1))
    ;[storm[index], storm[other]] = [storm[other]!, storm[index]!]
  }
  return storm
}
