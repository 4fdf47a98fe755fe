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

/** One signed delivery as Persona sends it, and the verification its events are about. */
export type StormDelivery = { headers: Record<string, string>; rawBody: string; verificationId: string }

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
    deliveries.push({
      headers: Object.fromEntries(captured.headers.entries()),
      rawBody: captured.rawBody,
      verificationId: events[0]!.verification?.id ?? events[0]!.id,
    })
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

/** A generator of numbers in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let value = state
    value = Math.imul(value ^ (value >>> 15), value | 1)
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61)
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Each delivery `copies` times, in the order a provider sends them (deterministic per seed): each
 * verification's deliveries go out together at a random moment, in random order (Persona sends an
 * inquiry's events within a second), and the other copies (redeliveries) at random moments after it,
 * among every other verification's. So the receiver gets events of one verification at once (the
 * pipeline groups them in one transaction) as well as redeliveries racing anything.
 */
export function burstStorm(
  deliveries: readonly StormDelivery[],
  copies: number,
  seed: number,
): StormDelivery[] {
  const random = seededRandom(seed)
  const startOf = new Map<string, number>()
  const timed: { at: number; delivery: StormDelivery }[] = []
  for (const delivery of deliveries) {
    let start = startOf.get(delivery.verificationId)
    if (start === undefined) {
      start = random()
      startOf.set(delivery.verificationId, start)
    }
    timed.push({ at: start + random() * 1e-6, delivery })
    for (let copy = 1; copy < copies; copy += 1) timed.push({ at: start + random(), delivery })
  }
  return timed.sort((left, right) => left.at - right.at).map(({ delivery }) => delivery)
}
