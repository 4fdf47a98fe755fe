import type { RateLimiter } from '@openkyc/core/http'
import { createPersona } from '@openkyc/persona'
import { createPersonaSimulator, type PersonaSimulator } from '@openkyc/simulator-persona'
import { createSimulatorClock } from '@openkyc/testkit/harness'

/** Persona's documented limits: 300 requests and 150 inquiry creations a minute. */
export const personaLimits = { requests: 300, creations: 150, windowMs: 60_000 }

/** A Persona simulator on a real-time clock whose minute is `windowMs` long (time-scaled limits). */
export function createScaledPersona(windowMs: number) {
  const simulator = createPersonaSimulator({
    clock: createSimulatorClock({ mode: 'real' }),
    rateLimit: { limit: personaLimits.requests, windowMs },
    inquiryCreationQuota: { limit: personaLimits.creations, windowMs },
  })
  return { simulator, fetch: simulator.fetch }
}

/** A Persona adapter on `fetch` whose budget is `rateLimit` (a cluster limiter). */
export function createTestPersona(fetch: typeof globalThis.fetch, rateLimit: RateLimiter) {
  return createPersona({
    apiKey: 'persona_sandbox_openkyc_jobs',
    templateId: 'itmpl_openkyc_jobs',
    webhookSecrets: ['wbhsec_openkyc_jobs'],
    baseUrl: 'https://persona.simulator.test/api/v1',
    env: {},
    fetch,
    rateLimit,
  })
}

/** How many inquiries the simulator holds per subject reference (its own state, not the adapter's word). */
export function inquiriesPerSubject(simulator: PersonaSimulator): Map<string, number> {
  const counts = new Map<string, number>()
  for (const inquiry of simulator.persona.state.collection('inquiry').list()) {
    const subject = String(inquiry.attributes['reference-id'] ?? '')
    counts.set(subject, (counts.get(subject) ?? 0) + 1)
  }
  return counts
}

/** When the simulator created each inquiry (its own clock, ms): idempotent replays create nothing and do not count. */
export function inquiryCreationTimes(simulator: PersonaSimulator): number[] {
  return simulator.persona.state
    .collection('inquiry')
    .list()
    .map((inquiry) => inquiry.createdAtMs)
    .sort((a, b) => a - b)
}
