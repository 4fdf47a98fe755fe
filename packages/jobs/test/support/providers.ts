import type { RateLimiter } from '@openkyc/core/http'
import { createPersona } from '@openkyc/persona'
import { createPersonaSimulator, type PersonaSimulator } from '@openkyc/simulator-persona'
import { createSimulatorClock } from '@openkyc/testkit/harness'

/** One request as the simulated vendor saw it: when (this process's clock), what, and the answer. */
export type SeenRequest = { at: number; method: string; path: string; status: number }

/** Persona's documented limits: 300 requests and 150 inquiry creations a minute. */
export const personaLimits = { requests: 300, creations: 150, windowMs: 60_000 }

/**
 * A Persona simulator on a real-time clock whose minute is `windowMs` long (time-scaled limits), and
 * a recording fetch in front of it.
 */
export function createScaledPersona(windowMs: number) {
  const simulator = createPersonaSimulator({
    clock: createSimulatorClock({ mode: 'real' }),
    rateLimit: { limit: personaLimits.requests, windowMs },
    inquiryCreationQuota: { limit: personaLimits.creations, windowMs },
  })
  const seen: SeenRequest[] = []
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init)
    const at = performance.now()
    const response = await simulator.fetch(request)
    seen.push({ at, method: request.method, path: new URL(request.url).pathname, status: response.status })
    return response
  }
  return { simulator, seen, fetch: fetch as typeof globalThis.fetch }
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
